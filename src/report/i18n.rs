//! Every word a report shows, in one place per language (`--lang en|es`).
//!
//! Spanish follows Colombian usage: `.` groups thousands, `,` marks decimals.

use crate::scenario::FundedBy;

/// A report language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// English (default).
    #[default]
    En,
    /// Spanish.
    Es,
}

impl Lang {
    /// Parses `en` or `es`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "en" => Some(Lang::En),
            "es" => Some(Lang::Es),
            _ => None,
        }
    }

    /// The strings of this language.
    pub fn strings(self) -> &'static Strings {
        match self {
            Lang::En => &EN,
            Lang::Es => &ES,
        }
    }

    /// The strings of this language for a contract funded by `funded_by`:
    /// the funder's figures are named for the provider when it funds the
    /// contract itself.
    pub fn strings_for(self, funded_by: FundedBy) -> &'static Strings {
        match (self, funded_by) {
            (Lang::En, FundedBy::Investors) => &EN,
            (Lang::Es, FundedBy::Investors) => &ES,
            (Lang::En, FundedBy::Provider) => &EN_PROVIDER,
            (Lang::Es, FundedBy::Provider) => &ES_PROVIDER,
        }
    }

    /// ISO 639-1 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }
}

/// The words of one language.
#[derive(Debug)]
pub struct Strings {
    /// Thousands separator.
    pub thousands: char,
    /// Decimal mark.
    pub decimal: char,
    /// "trials".
    pub trials: &'static str,
    /// "seed".
    pub seed: &'static str,
    /// "sampling".
    pub sampling: &'static str,
    /// "mean".
    pub mean: &'static str,
    /// Row: investor IRR.
    pub investor_irr: &'static str,
    /// Row: probability that investors lose money.
    pub prob_loss: &'static str,
    /// Row: probability of a return below the hurdle (followed by the hurdle).
    pub prob_below_hurdle: &'static str,
    /// Row: payer cost.
    pub payer_cost: &'static str,
    /// Row: mean fee-for-service cost.
    pub fee_for_service: &'static str,
    /// Row: probability the budget cap binds.
    pub prob_cap_hit: &'static str,
    /// Row: capital needed.
    pub capital_needed: &'static str,
    /// "committed".
    pub committed: &'static str,
    /// "P(gap)".
    pub prob_gap: &'static str,
    /// Row: payer cost per outcome (followed by the outcome id).
    pub cost_per: &'static str,
    /// Row: who bears the downside.
    pub downside: &'static str,
    /// "investors".
    pub investors: &'static str,
    /// Deal term: who funds the delivery costs, and the answer when the provider does.
    pub funded_by: &'static str,
    /// Answer: the provider.
    pub funded_by_provider: &'static str,
    /// Deal term: the fixed part of the price, and "a month".
    pub fixed_part: [&'static str; 2],
    /// Deal term: the advance, "in month", "recovered from", "of each later result payment".
    pub advance: [&'static str; 4],
    /// The provider's credit line (its committed capital).
    pub credit_line: &'static str,
    /// Section: transfers to agencies, and its note.
    pub h_transfers: &'static str,
    /// See `h_transfers`.
    pub transfers_note: &'static str,
    /// Terminal row words: "Transfers to", "agencies", "pool", "P(pool binds)", "paid in full", "paid nothing", "mean".
    pub transfers_row: [&'static str; 6],
    /// Per-agency table columns.
    pub c_agencies: [&'static str; 9],
    /// Across-agencies table: its first column and the statistics.
    pub across: [&'static str; 6],
    /// Across-agencies rows.
    pub across_rows: [&'static str; 3],
    /// Heading: the agencies most likely to receive nothing.
    pub most_at_risk: &'static str,
    /// Workbook sheet of the agencies.
    pub sheet_agencies: &'static str,
    /// Section: the providers of a contract with several, and its note.
    pub h_providers: &'static str,
    /// See `h_providers`.
    pub providers_note: &'static str,
    /// Per-provider table columns.
    pub c_providers: [&'static str; 8],
    /// Workbook sheet of the providers.
    pub sheet_providers: &'static str,
    /// "guarantor".
    pub guarantor: &'static str,
    /// "payer premium".
    pub payer_premium: &'static str,
    /// "wrote".
    pub wrote: &'static str,
    /// Scale words for 1e3, 1e6, 1e9.
    pub scale: [&'static str; 3],
    /// Chart: IRR histogram title.
    pub chart_irr: &'static str,
    /// Axis: annual IRR in percent.
    pub axis_irr: &'static str,
    /// Axis: number of trials.
    pub axis_trials: &'static str,
    /// Legend: loss region.
    pub loss_region: &'static str,
    /// Legend: hurdle.
    pub hurdle: &'static str,
    /// Chart: payer cost histogram title.
    pub chart_payer_cost: &'static str,
    /// Legend: budget cap.
    pub budget_cap: &'static str,
    /// Chart: CDF title (tranches).
    pub chart_cdf_tranches: &'static str,
    /// Chart: CDF title (net and cost).
    pub chart_cdf_money: &'static str,
    /// Axis: cumulative probability.
    pub axis_cdf: &'static str,
    /// Legend: investor net.
    pub investor_net: &'static str,
    /// Chart: fan chart title.
    pub chart_fan: &'static str,
    /// Axis: month.
    pub axis_month: &'static str,
    /// Legend: median.
    pub median: &'static str,
    /// Legend: peak funding P95.
    pub peak_p95: &'static str,
    /// Chart: risk-sharing title.
    pub chart_risk: &'static str,
    /// Axis: outcome decile (followed by the outcome id).
    pub axis_decile: &'static str,
    /// Axis suffix: per trial.
    pub per_trial: &'static str,
    /// Legend: guarantee.
    pub guarantee: &'static str,
    /// Legend: provider bonus.
    pub provider_bonus: &'static str,
    /// Chart: scatter title.
    pub chart_scatter: &'static str,
    /// Report: headline figures.
    pub h_headline: &'static str,
    /// Report: the deal.
    pub h_deal: &'static str,
    /// Report: cohorts.
    pub h_cohorts: &'static str,
    /// Report: funnel.
    pub h_funnel: &'static str,
    /// Report: parties and money.
    pub h_parties: &'static str,
    /// Report: tranches.
    pub h_tranches: &'static str,
    /// Report: risk sharing.
    pub h_risk: &'static str,
    /// Report: charts.
    pub h_charts: &'static str,
    /// Report: run metadata.
    pub h_run: &'static str,
    /// Column: name.
    pub c_name: &'static str,
    /// Column: start month.
    pub c_start: &'static str,
    /// Column: size.
    pub c_size: &'static str,
    /// Column: outcome.
    pub c_outcome: &'static str,
    /// Column: of (base).
    pub c_of: &'static str,
    /// Column: rate.
    pub c_rate: &'static str,
    /// Column: lag.
    pub c_lag: &'static str,
    /// Column: price.
    pub c_price: &'static str,
    /// Column: cap on outcomes paid.
    pub c_max_paid: &'static str,
    /// Column: share.
    pub c_share: &'static str,
    /// Column: seniority.
    pub c_seniority: &'static str,
    /// Column: IRR cap.
    pub c_cap_irr: &'static str,
    /// Column: metric.
    pub c_metric: &'static str,
    /// Column: value.
    pub c_value: &'static str,
    /// Column: standard error.
    pub c_se: &'static str,
    /// Column: decile.
    pub c_decile: &'static str,
    /// Column: outcome count.
    pub c_outcome_count: &'static str,
    /// Column: cost per outcome.
    pub c_cost_per_outcome: &'static str,
    /// Column: delivery cost.
    pub c_delivery_cost: &'static str,
    /// "none".
    pub none: &'static str,
    /// Label: payers.
    pub payers: &'static str,
    /// Label: evaluation cost.
    pub evaluation_cost: &'static str,
    /// Label: payment lag.
    pub payment_lag: &'static str,
    /// Label: service fee (hybrid contract).
    pub service_fee: &'static str,
    /// Column: a payer's own cap.
    pub c_payer_cap: &'static str,
    /// Heading: population segments.
    pub h_segments: &'static str,
    /// Column: rate multipliers.
    pub c_rate_multiplier: &'static str,
    /// Column: price multipliers.
    pub c_price_multiplier: &'static str,
    /// Label: principal floor.
    pub principal_floor: &'static str,
    /// "paid by the payers".
    pub by_payer: &'static str,
    /// "paid by a guarantor".
    pub by_guarantor: &'static str,
    /// Label: horizon.
    pub horizon: &'static str,
    /// "months".
    pub months: &'static str,
    /// Label: expected loss borne by investors.
    pub loss_investors: &'static str,
    /// The key of `summary.json`'s `risk_sharing` that `loss_investors` labels.
    pub funder_loss_key: &'static str,
    /// Label: expected loss borne by the guarantor.
    pub loss_guarantor: &'static str,
    /// Sentence under the risk table.
    pub risk_note: &'static str,
    /// Sentence under the risk table when excess goes back to capped payers.
    pub risk_note_capped: &'static str,
    /// Label: version.
    pub version: &'static str,
    /// Label: wall time.
    pub wall_time: &'static str,
    /// Label: threads.
    pub threads: &'static str,
    /// Label: scenario file.
    pub file: &'static str,
    /// Report subtitle.
    pub subtitle: &'static str,
    /// Axis note: "{n} trials at or below {x} in the first bar".
    pub clipped_note: &'static str,
    /// Label: outcomes whose cash month falls after the horizon (mean per trial).
    pub unpaid_after_horizon: &'static str,
    /// "{unpaid} of {drawn}" between two counts.
    pub of: &'static str,
    /// Label and heading: the evaluation's risk to the payer and the provider.
    pub h_evaluation: &'static str,
    /// Workbook sheet of the evaluation risk.
    pub sheet_evaluation: &'static str,
    /// Sentence under the evaluation-risk heading.
    pub evaluation_note: &'static str,
    /// Columns of the evaluation-risk table: outcome, mean payment error, P5,
    /// P95, P(paid below threshold), P(withheld at target).
    pub c_evaluation: [&'static str; 6],
    /// Report: the deal account month by month.
    pub h_account: &'static str,
    /// Sentence under the deal account heading.
    pub account_note: &'static str,
    /// Chart: the deal account by month.
    pub chart_account: &'static str,
    /// Column: month.
    pub c_month: &'static str,
    /// The deal account's series, in [`crate::engine::account`] order.
    pub account_series: [&'static str; crate::engine::account::SERIES],
    /// Label: recycling (receipts pay costs first).
    pub recycling: &'static str,
    /// "yes".
    pub yes: &'static str,
    /// "no".
    pub no: &'static str,
    /// Label: where excess goes.
    pub excess_to: &'static str,
    /// "the payers" (excess destination).
    pub to_payer: &'static str,
    /// "the provider" (excess destination).
    pub to_provider: &'static str,
    /// Label: when excess leaves the deal.
    pub excess_settlement: &'static str,
    /// Settlement `end`, explained.
    pub settle_end: &'static str,
    /// Settlement `monthly`, explained.
    pub settle_monthly: &'static str,
    /// Label: when the tranches are paid.
    pub distributions: &'static str,
    /// Schedule `monthly`.
    pub dist_monthly: &'static str,
    /// Schedule `end`.
    pub dist_end: &'static str,
    /// Schedule `{every_months: N}`: "every" before N ("months" after it).
    pub dist_every: &'static str,
    /// Label: provider's share of each outcome payment.
    pub success_share: &'static str,
    /// Heading: sources.
    pub h_sources: &'static str,
    /// The funnel's base, `enrolled`.
    pub enrolled: &'static str,
    /// The default payer's name as shown (its key stays `payer`).
    pub default_payer: &'static str,
    /// The default tranche's name as shown (its key stays `investor`).
    pub default_tranche: &'static str,
    /// Cohorts of the `enrolment` shorthand as shown: "cohort" before the number.
    pub cohort: &'static str,
    /// Sampling `random`.
    pub sampling_random: &'static str,
    /// Sampling `lhs`.
    pub sampling_lhs: &'static str,
    /// Distribution parameter words: mean, sd.
    pub dist_mean_sd: [&'static str; 2],
    /// Distribution kinds as shown, in [`crate::scenario::values::DIST_KINDS`] order.
    pub dist_kinds: [&'static str; 7],
    /// Outcome notes: paid by, counterfactual rate, measurement error.
    pub notes: [&'static str; 3],
    /// Workbook sheet names: summary, risk sharing, deal account, inputs, trials.
    pub sheets: [&'static str; 5],
    /// Workbook column: scenario path.
    pub c_path: &'static str,
    /// Workbook column: probability.
    pub c_probability: &'static str,
    /// Workbook column: trial number.
    pub c_trial: &'static str,
    /// Workbook column: the metric's key in `summary.json`.
    pub c_key: &'static str,
    /// Sweep table columns.
    pub sweep_columns: [&'static str; 8],
    /// "yes" / "no" for a sweep point's feasibility.
    pub feasible_words: [&'static str; 2],
}

/// English.
pub static EN: Strings = EN_WORDS;

/// English, for a contract its provider funds: the funder's words name the provider.
pub static EN_PROVIDER: Strings = Strings {
    investor_irr: "Provider IRR on its outlay",
    prob_loss: "P(provider loses money)",
    capital_needed: "Provider's peak cash need",
    investors: "provider",
    chart_irr: "Provider IRR on its own outlay",
    chart_cdf_money: "Provider margin and payer cost (cumulative distribution)",
    investor_net: "Provider margin",
    chart_fan: "Provider's cumulative cash position by month",
    peak_p95: "Peak cash need (P95)",
    chart_scatter: "Provider IRR against payer cost (sample of trials)",
    h_tranches: "Funding",
    loss_investors: "Expected loss borne by the provider",
    funder_loss_key: "loss_borne_by_provider",
    default_tranche: "provider",
    account_series: [
        "Receipts",
        "Costs",
        "Provider outlay",
        "Paid out to the provider",
        "Excess",
        "Cash held",
    ],
    sweep_columns: [
        "IRR mean",
        "P(loss)",
        "P(<hurdle)",
        "payer cost mean",
        "payer cost P95",
        "P(cap hit)",
        "peak cash P95",
        "feasible",
    ],
    ..EN_WORDS
};

/// English words (investors fund the contract).
const EN_WORDS: Strings = Strings {
    thousands: ',',
    decimal: '.',
    trials: "trials",
    seed: "seed",
    sampling: "sampling",
    mean: "mean",
    investor_irr: "Investor IRR",
    prob_loss: "P(investors lose money)",
    prob_below_hurdle: "P(return below hurdle",
    payer_cost: "Payer cost",
    fee_for_service: "Fee-for-service cost (mean)",
    prob_cap_hit: "P(budget cap hit)",
    capital_needed: "Capital needed",
    committed: "committed",
    prob_gap: "P(gap)",
    cost_per: "Payer cost per",
    downside: "Downside borne (mean/trial)",
    investors: "investors",
    funded_by: "Who funds the delivery costs",
    funded_by_provider: "the provider, from its own working capital; it keeps every payment",
    fixed_part: ["Fixed part of the price", "a month"],
    advance: [
        "Advance",
        "in month",
        "recovered from",
        "of each later result payment",
    ],
    credit_line: "Provider's credit line",
    h_transfers: "Transfers to agencies",
    transfers_note: "Each agency earns a share of its own commitment by the outcome's schedule on its own result; at each verification round what every agency is due is paid from what is left of the pool, cut pro rata to what is due (or by priority) when the pool cannot pay it all.",
    transfers_row: [
        "Transfers to",
        "agencies",
        "pool",
        "P(pool binds)",
        "paid in full",
        "paid nothing",
    ],
    c_agencies: [
        "Agency",
        "Commitment",
        "Mean",
        "Std. error",
        "P5",
        "P50",
        "P95",
        "P(full commitment)",
        "P(nothing)",
    ],
    across: ["Across agencies", "Min", "P10", "Median", "P90", "Max"],
    across_rows: [
        "Mean share of its commitment received",
        "P(full commitment)",
        "P(nothing)",
    ],
    most_at_risk: "Agencies most likely to receive nothing",
    sheet_agencies: "Agencies",
    h_providers: "Providers",
    providers_note: "Each provider's own participants, costs and results. The outcome payments of each month, after every cap, are shared over the providers in proportion to what each invoiced; its net is its payments and service fees less its delivery cost, and the capital it needs is the peak of its cumulative costs less its receipts, as if it funded itself alone.",
    c_providers: [
        "Provider",
        "Outcome payments (mean)",
        "Delivery cost (mean)",
        "Net (mean)",
        "Net P5",
        "Net P95",
        "P(loss)",
        "Capital needed P95",
    ],
    sheet_providers: "Providers",
    guarantor: "guarantor",
    payer_premium: "payer premium",
    wrote: "wrote",
    scale: ["thousand", "million", "billion"],
    chart_irr: "Investor IRR",
    axis_irr: "Annual IRR (%)",
    axis_trials: "Trials",
    loss_region: "Loss (IRR < 0)",
    hurdle: "Hurdle",
    chart_payer_cost: "Payer cost",
    budget_cap: "Budget cap",
    chart_cdf_tranches: "IRR by tranche (cumulative distribution)",
    chart_cdf_money: "Investor net and payer cost (cumulative distribution)",
    axis_cdf: "Cumulative probability",
    investor_net: "Investor net",
    chart_fan: "Investors' cumulative cash position by month",
    axis_month: "Month",
    median: "Median",
    peak_p95: "Capital needed (P95)",
    chart_risk: "Who bears what, by decile of outcomes achieved",
    axis_decile: "Decile of",
    per_trial: "mean per trial",
    guarantee: "Guarantee",
    provider_bonus: "Provider bonus",
    chart_scatter: "Investor IRR against payer cost (sample of trials)",
    h_headline: "Headline figures",
    h_deal: "The deal",
    h_cohorts: "Cohorts",
    h_funnel: "Outcome funnel",
    h_parties: "Payers and payment",
    h_tranches: "Investor tranches",
    h_risk: "Risk sharing",
    h_charts: "Charts",
    h_run: "Run",
    c_name: "Name",
    c_start: "Start month",
    c_size: "Size",
    c_outcome: "Outcome",
    c_of: "Counted among",
    c_rate: "Rate",
    c_lag: "Lag (months)",
    c_price: "Price",
    c_max_paid: "Most paid",
    c_share: "Share",
    c_seniority: "Seniority",
    c_cap_irr: "IRR cap",
    c_metric: "Figure",
    c_value: "Value",
    c_se: "Std. error",
    c_decile: "Decile",
    c_outcome_count: "Outcomes",
    c_cost_per_outcome: "Cost per outcome",
    c_delivery_cost: "Fee-for-service cost",
    none: "none",
    payers: "Payers",
    evaluation_cost: "Evaluation cost",
    payment_lag: "Payment lag",
    service_fee: "Service fee (share of each month's delivery cost)",
    c_payer_cap: "Own cap",
    h_segments: "Population segments",
    c_rate_multiplier: "Rate multiplier",
    c_price_multiplier: "Price multiplier",
    principal_floor: "Principal floor",
    by_payer: "paid by the payers",
    by_guarantor: "paid by a guarantor",
    horizon: "Horizon",
    months: "months",
    loss_investors: "Expected loss borne by investors",
    funder_loss_key: "loss_borne_by_investors",
    loss_guarantor: "Expected loss borne by the guarantor",
    risk_note: "Trials are grouped by the count of the last outcome of the funnel, from the worst tenth (1) to the best (10); each row is a mean over its trials.",
    risk_note_capped: "Money beyond the tranches' caps goes back to the payers, so in the deciles where every tranche reaches its cap the payer's cost is the fee-for-service cost plus the investors' capped return, whatever the outcomes: there the deal is cost-plus, and prices above that level pay for the investors' protection in the worst deciles.",
    version: "ibsim version",
    wall_time: "Wall time",
    threads: "Threads",
    file: "Scenario file",
    subtitle: "Monte Carlo risk report",
    clipped_note: "trials at or below P1 are counted in the first bar",
    unpaid_after_horizon: "Unpaid after the horizon (mean)",
    of: "of",
    h_evaluation: "Evaluation risk",
    sheet_evaluation: "EvaluationRisk",
    evaluation_note: "Outcomes verified by a survey or a randomised evaluation are paid on a measured result. The payment error is the money due on the measured result less the money due on the true one (before caps); the probabilities say how often a payer pays when the true result earns nothing, and how often a result that reached the target is not paid in full.",
    c_evaluation: [
        "Outcome",
        "Payment error (mean)",
        "P5",
        "P95",
        "P(paid | true below threshold)",
        "P(withheld | true at target)",
    ],
    h_account: "Deal account",
    account_note: "Month by month, the money the deal receives and where it goes: the median and, in brackets, P5 to P95 over the first trials of the run. Cash held is what the account keeps for later costs and distributions.",
    chart_account: "Deal account by month (medians; cash held P5–P95)",
    c_month: "Month",
    account_series: [
        "Receipts",
        "Costs",
        "Contributions",
        "Distributions",
        "Excess",
        "Cash held",
    ],
    recycling: "Receipts pay the month's costs first (recycling)",
    yes: "yes",
    no: "no",
    excess_to: "Money beyond every cap goes to",
    to_payer: "the payers",
    to_provider: "the provider",
    excess_settlement: "Excess leaves the deal",
    settle_end: "at the end (held for later costs until the last month)",
    settle_monthly: "after each distribution",
    distributions: "Distributions to the tranches",
    dist_monthly: "every month",
    dist_end: "in the last month",
    dist_every: "every",
    success_share: "Provider's share of each outcome payment",
    h_sources: "Sources",
    enrolled: "enrolled",
    default_payer: "payer",
    default_tranche: "investor",
    cohort: "cohort",
    sampling_random: "random",
    sampling_lhs: "lhs",
    dist_mean_sd: ["mean", "sd"],
    dist_kinds: [
        "beta",
        "uniform",
        "triangular",
        "pert",
        "normal",
        "lognormal",
        "discrete",
    ],
    notes: ["paid by", "counterfactual rate", "measurement error"],
    sheets: ["Summary", "RiskSharing", "DealAccount", "Inputs", "Trials"],
    c_path: "path",
    c_probability: "probability",
    c_trial: "trial",
    c_key: "key",
    sweep_columns: [
        "IRR mean",
        "P(loss)",
        "P(<hurdle)",
        "payer cost mean",
        "payer cost P95",
        "P(cap hit)",
        "capital P95",
        "feasible",
    ],
    feasible_words: ["yes", "no"],
};

/// Spanish.
pub static ES: Strings = ES_WORDS;

/// Spanish, for a contract its provider funds.
pub static ES_PROVIDER: Strings = Strings {
    investor_irr: "TIR del operador sobre sus aportes",
    prob_loss: "P(el operador pierde dinero)",
    capital_needed: "Necesidad máxima de caja del operador",
    investors: "operador",
    chart_irr: "TIR del operador sobre sus propios aportes",
    chart_cdf_money: "Margen del operador y costo del pagador (distribución acumulada)",
    investor_net: "Margen del operador",
    chart_fan: "Posición de caja acumulada del operador por mes",
    peak_p95: "Necesidad máxima de caja (P95)",
    chart_scatter: "TIR del operador frente al costo del pagador (muestra)",
    h_tranches: "Financiación",
    loss_investors: "Pérdida esperada del operador",
    funder_loss_key: "loss_borne_by_provider",
    default_tranche: "operador",
    account_series: [
        "Recaudos",
        "Costos",
        "Aportes del operador",
        "Pagado al operador",
        "Excedente",
        "Caja retenida",
    ],
    sweep_columns: [
        "TIR media",
        "P(pérdida)",
        "P(<tasa mín.)",
        "costo pagador media",
        "costo pagador P95",
        "P(tope alcanzado)",
        "caja máx. P95",
        "factible",
    ],
    ..ES_WORDS
};

/// Spanish words (investors fund the contract).
const ES_WORDS: Strings = Strings {
    thousands: '.',
    decimal: ',',
    trials: "simulaciones",
    seed: "semilla",
    sampling: "muestreo",
    mean: "media",
    investor_irr: "TIR de los inversionistas",
    prob_loss: "P(inversionistas pierden dinero)",
    prob_below_hurdle: "P(retorno bajo la tasa mínima",
    payer_cost: "Costo para el pagador",
    fee_for_service: "Costo de prestación directa (media)",
    prob_cap_hit: "P(se alcanza el tope presupuestal)",
    capital_needed: "Capital requerido",
    committed: "comprometido",
    prob_gap: "P(faltante)",
    cost_per: "Costo para el pagador por",
    downside: "Pérdida asumida (media/simulación)",
    investors: "inversionistas",
    funded_by: "Quién financia los costos de prestación",
    funded_by_provider: "el operador, con su propio capital de trabajo; recibe todos los pagos",
    fixed_part: ["Parte fija del precio", "al mes"],
    advance: [
        "Anticipo",
        "en el mes",
        "amortizado con el",
        "de cada pago por resultados posterior",
    ],
    credit_line: "Línea de crédito del operador",
    h_transfers: "Transferencias a entidades",
    transfers_note: "Cada entidad gana una parte de su propio compromiso según el cronograma del resultado sobre su propio resultado; en cada ronda de verificación lo que se debe a cada entidad se paga con lo que queda de la bolsa, recortado a prorrata de lo debido (o por prioridad) cuando la bolsa no alcanza.",
    transfers_row: [
        "Transferencias a",
        "entidades",
        "bolsa",
        "P(la bolsa no alcanza)",
        "pagadas por completo",
        "sin pago",
    ],
    c_agencies: [
        "Entidad",
        "Compromiso",
        "Media",
        "Error est.",
        "P5",
        "P50",
        "P95",
        "P(compromiso completo)",
        "P(nada)",
    ],
    across: ["Entre entidades", "Mín", "P10", "Mediana", "P90", "Máx"],
    across_rows: [
        "Parte media de su compromiso recibida",
        "P(compromiso completo)",
        "P(nada)",
    ],
    most_at_risk: "Entidades con mayor probabilidad de no recibir nada",
    sheet_agencies: "Entidades",
    h_providers: "Operadores",
    providers_note: "Los participantes, costos y resultados propios de cada operador. Los pagos por resultados de cada mes, después de todos los topes, se reparten entre los operadores en proporción a lo que cada uno facturó; su neto son sus pagos y honorarios de servicio menos su costo de entrega, y el capital que necesita es el máximo de sus costos acumulados menos sus ingresos, como si se financiara solo.",
    c_providers: [
        "Operador",
        "Pagos por resultados (media)",
        "Costo de entrega (media)",
        "Neto (media)",
        "Neto P5",
        "Neto P95",
        "P(pérdida)",
        "Capital necesario P95",
    ],
    sheet_providers: "Operadores",
    guarantor: "garante",
    payer_premium: "prima del pagador",
    wrote: "se escribió",
    scale: ["miles", "millones", "miles de millones"],
    chart_irr: "TIR de los inversionistas",
    axis_irr: "TIR anual (%)",
    axis_trials: "Simulaciones",
    loss_region: "Pérdida (TIR < 0)",
    hurdle: "Tasa mínima",
    chart_payer_cost: "Costo para el pagador",
    budget_cap: "Tope presupuestal",
    chart_cdf_tranches: "TIR por tramo (distribución acumulada)",
    chart_cdf_money: "Neto de inversionistas y costo del pagador (distribución acumulada)",
    axis_cdf: "Probabilidad acumulada",
    investor_net: "Neto de inversionistas",
    chart_fan: "Posición de caja acumulada de los inversionistas por mes",
    axis_month: "Mes",
    median: "Mediana",
    peak_p95: "Capital requerido (P95)",
    chart_risk: "Quién asume qué, por decil de resultados logrados",
    axis_decile: "Decil de",
    per_trial: "media por simulación",
    guarantee: "Garantía",
    provider_bonus: "Bono del operador",
    chart_scatter: "TIR de inversionistas frente al costo del pagador (muestra)",
    h_headline: "Cifras principales",
    h_deal: "El contrato",
    h_cohorts: "Cohortes",
    h_funnel: "Embudo de resultados",
    h_parties: "Pagadores y pagos",
    h_tranches: "Tramos de inversión",
    h_risk: "Reparto del riesgo",
    h_charts: "Gráficos",
    h_run: "Ejecución",
    c_name: "Nombre",
    c_start: "Mes de inicio",
    c_size: "Tamaño",
    c_outcome: "Resultado",
    c_of: "Contado entre",
    c_rate: "Tasa",
    c_lag: "Rezago (meses)",
    c_price: "Precio",
    c_max_paid: "Máximo pagado",
    c_share: "Participación",
    c_seniority: "Prelación",
    c_cap_irr: "Tope de TIR",
    c_metric: "Cifra",
    c_value: "Valor",
    c_se: "Error estándar",
    c_decile: "Decil",
    c_outcome_count: "Resultados",
    c_cost_per_outcome: "Costo por resultado",
    c_delivery_cost: "Costo de prestación directa",
    none: "ninguno",
    payers: "Pagadores",
    evaluation_cost: "Costo de evaluación",
    payment_lag: "Rezago de pago",
    service_fee: "Tarifa de servicio (parte del costo mensual de prestación)",
    c_payer_cap: "Tope propio",
    h_segments: "Segmentos de población",
    c_rate_multiplier: "Multiplicador de tasa",
    c_price_multiplier: "Multiplicador de precio",
    principal_floor: "Piso de capital",
    by_payer: "a cargo de los pagadores",
    by_guarantor: "a cargo de un garante",
    horizon: "Horizonte",
    months: "meses",
    loss_investors: "Pérdida esperada de los inversionistas",
    funder_loss_key: "loss_borne_by_investors",
    loss_guarantor: "Pérdida esperada del garante",
    risk_note: "Las simulaciones se agrupan según el conteo del último resultado del embudo, del peor décimo (1) al mejor (10); cada fila es una media sobre sus simulaciones.",
    risk_note_capped: "El dinero por encima de los topes de los tramos vuelve a los pagadores, así que en los deciles donde todos los tramos llegan a su tope el costo del pagador es el costo de prestación directa más el retorno con tope de los inversionistas, sean cuales sean los resultados: allí el contrato es de costo más margen, y los precios por encima de ese nivel pagan la protección de los inversionistas en los peores deciles.",
    version: "Versión de ibsim",
    wall_time: "Tiempo de ejecución",
    threads: "Hilos",
    file: "Archivo del escenario",
    subtitle: "Informe de riesgo Monte Carlo",
    clipped_note: "las simulaciones en P1 o menos se cuentan en la primera barra",
    unpaid_after_horizon: "Sin pagar tras el horizonte (media)",
    of: "de",
    h_evaluation: "Riesgo de evaluación",
    sheet_evaluation: "RiesgoEvaluacion",
    evaluation_note: "Los resultados verificados por una encuesta o una evaluación aleatorizada se pagan sobre un resultado medido. El error de pago es lo que se debe por el resultado medido menos lo que se debería por el real (antes de los topes); las probabilidades dicen con qué frecuencia un pagador paga cuando el resultado real no da derecho a pago, y con qué frecuencia un resultado que alcanzó la meta no se paga completo.",
    c_evaluation: [
        "Resultado",
        "Error de pago (media)",
        "P5",
        "P95",
        "P(pago | real bajo el umbral)",
        "P(retenido | real en la meta)",
    ],
    h_account: "Cuenta del vehículo",
    account_note: "Mes a mes, el dinero que recibe el vehículo y a dónde va: la mediana y, entre corchetes, de P5 a P95 sobre las primeras simulaciones. El saldo en caja es lo que la cuenta guarda para costos y distribuciones posteriores.",
    chart_account: "Cuenta del vehículo por mes (medianas; saldo en caja P5–P95)",
    c_month: "Mes",
    account_series: [
        "Pagos recibidos",
        "Costos",
        "Aportes",
        "Distribuciones",
        "Excedente",
        "Saldo en caja",
    ],
    recycling: "Los pagos recibidos cubren primero los costos del mes (reciclaje)",
    yes: "sí",
    no: "no",
    excess_to: "El dinero por encima de todos los topes va a",
    to_payer: "los pagadores",
    to_provider: "el operador",
    excess_settlement: "El excedente sale del vehículo",
    settle_end: "al final (se guarda para costos posteriores hasta el último mes)",
    settle_monthly: "tras cada distribución",
    distributions: "Distribuciones a los tramos",
    dist_monthly: "cada mes",
    dist_end: "en el último mes",
    dist_every: "cada",
    success_share: "Parte de cada pago por resultados para el operador",
    h_sources: "Fuentes",
    enrolled: "inscritos",
    default_payer: "pagador",
    default_tranche: "inversionista",
    cohort: "cohorte",
    sampling_random: "aleatorio",
    sampling_lhs: "hipercubo latino",
    dist_mean_sd: ["media", "de"],
    dist_kinds: [
        "beta",
        "uniforme",
        "triangular",
        "pert",
        "normal",
        "lognormal",
        "discreta",
    ],
    notes: ["pagado por", "tasa contrafactual", "error de medición"],
    sheets: [
        "Resumen",
        "RepartoRiesgo",
        "CuentaVehiculo",
        "Entradas",
        "Simulaciones",
    ],
    c_path: "ruta",
    c_probability: "probabilidad",
    c_trial: "simulación",
    c_key: "clave",
    sweep_columns: [
        "TIR media",
        "P(pérdida)",
        "P(<tasa mín.)",
        "costo pagador media",
        "costo pagador P95",
        "P(tope alcanzado)",
        "capital P95",
        "factible",
    ],
    feasible_words: ["sí", "no"],
};

impl Strings {
    /// The risk-sharing table's columns after the decile, in the order of
    /// `summary.json`'s decile rows (outcome count to provider bonus).
    pub fn risk_columns(&self) -> [&'static str; 7] {
        [
            self.c_outcome_count,
            self.payer_cost,
            self.c_cost_per_outcome,
            self.c_delivery_cost,
            self.investor_net,
            self.guarantee,
            self.provider_bonus,
        ]
    }

    /// Who bears the downside, as (label, key of `summary.json`'s `risk_sharing`).
    /// (A provider funding the contract has no guarantor.)
    pub fn downside_rows(&self) -> Vec<(String, &'static str)> {
        let capitalised = |s: &str| {
            let mut c = s.chars();
            c.next()
                .map_or_else(String::new, |f| f.to_uppercase().chain(c).collect())
        };
        let mut rows = vec![(capitalised(self.loss_investors), self.funder_loss_key)];
        if self.funder_loss_key == "loss_borne_by_investors" {
            rows.push((capitalised(self.loss_guarantor), "loss_borne_by_guarantor"));
        }
        rows.push((capitalised(self.payer_premium), "payer_premium"));
        rows
    }
}

impl Lang {
    /// The sampling keyword (`random`, `lhs`) in words.
    pub fn sampling(self, keyword: &str) -> &'static str {
        let s = self.strings();
        match keyword {
            "lhs" => s.sampling_lhs,
            _ => s.sampling_random,
        }
    }

    /// The last line of `ibsim run`: where the summary went and how fast.
    pub fn run_written(self, dir: &str, seconds: f64, threads: usize, trials: f64) -> String {
        let rate = trials / seconds.max(1e-9);
        match self {
            Lang::En => format!(
                "wrote {dir}/summary.json and run.json in {seconds:.2} s ({rate:.0} trials/s on {threads} threads)"
            ),
            Lang::Es => format!(
                "se escribieron {dir}/summary.json y run.json en {} s ({} simulaciones/s con {threads} hilos)",
                number(seconds, 2, self),
                thousands(rate, self)
            ),
        }
    }

    /// The label of a metric of `summary.json` (docs/model.md, "Metrics") or of a
    /// probability, for people (the key stays what it is); `party` gives the
    /// name to show for a payer or tranche named in the key.
    pub fn metric_label(self, key: &str, party: &dyn Fn(&str) -> String) -> String {
        let es = self == Lang::Es;
        let pick = |en: &str, es_text: &str| if es { es_text } else { en }.to_owned();
        let s = self.strings();
        if let Some(rest) = key.strip_prefix("tranche.") {
            let (name, what) = rest.rsplit_once('.').unwrap_or((rest, ""));
            let what = match what {
                "irr" => pick("IRR", "TIR"),
                "moic" => "MOIC".to_owned(),
                "net" => pick("net", "neto"),
                other => other.to_owned(),
            };
            return format!("{} {}: {what}", pick("Tranche", "Tramo"), party(name));
        }
        if let Some(name) = key.strip_prefix("prob_tranche_loss.") {
            return format!(
                "{} {})",
                pick("P(loss of tranche", "P(pérdida del tramo"),
                party(name)
            );
        }
        if let Some(name) = key.strip_prefix("payer_cost.") {
            return format!("{}: {}", s.payer_cost, party(name));
        }
        // A provider of a contract with several: `provider.<name>.<figure>`.
        if let Some((name, what)) = key
            .strip_prefix("provider.")
            .and_then(|rest| rest.split_once('.'))
        {
            let what = match what {
                "paid" => pick("outcome payments", "pagos por resultados"),
                "cost" => pick("delivery cost", "costo de entrega"),
                "net" => pick("net", "neto"),
                "peak_cash" => pick("peak cash need", "necesidad máxima de caja"),
                other => match other.strip_prefix("outcome.") {
                    Some(id) => format!("{} {id}", pick("achieved", "logrados")),
                    None => other.to_owned(),
                },
            };
            return format!("{} {name}: {what}", pick("Provider", "Operador"));
        }
        if let Some(name) = key.strip_prefix("prob_provider_loss.") {
            return format!(
                "{} {name})",
                pick("P(loss of provider", "P(pérdida del operador")
            );
        }
        for (prefix, en, es_text) in [
            ("outcome.", "Achieved", "Logrados"),
            ("paid.", "Paid", "Pagados"),
            (
                "unpaid_after_horizon.",
                "Unpaid after the horizon",
                "Sin pagar tras el horizonte",
            ),
            (
                "evaluation_error.",
                "Payment error (measured - true)",
                "Error de pago (medido - real)",
            ),
            (
                "prob_payment_triggered_below_threshold.",
                "P(paid | true result below threshold)",
                "P(pago | resultado real bajo el umbral)",
            ),
            (
                "prob_payment_withheld_at_target.",
                "P(withheld | true result at target)",
                "P(retenido | resultado real en la meta)",
            ),
        ] {
            if let Some(rest) = key.strip_prefix(prefix) {
                return match rest.split_once('.') {
                    Some((id, segment)) => format!("{}: {id} ({segment})", pick(en, es_text)),
                    None => format!("{}: {rest}", pick(en, es_text)),
                };
            }
        }
        match key {
            "payer_cost" => s.payer_cost.to_owned(),
            "payer_cost_pv" => pick(
                "Payer cost, present value",
                "Costo para el pagador, valor presente",
            ),
            "cost_per_outcome" => s.c_cost_per_outcome.to_owned(),
            "delivery_cost" => s.c_delivery_cost.to_owned(),
            "budget_cap_hit" => pick("Budget cap hit", "Tope presupuestal alcanzado"),
            "investor_irr" => s.investor_irr.to_owned(),
            "investor_moic" => pick("Investor MOIC", "MOIC de los inversionistas"),
            "investor_net" => s.investor_net.to_owned(),
            "investor_npv" => pick(
                "Investor NPV at the hurdle",
                "VPN de los inversionistas a la tasa mínima",
            ),
            "investor_contributions" => {
                pick("Investor contributions", "Aportes de los inversionistas")
            }
            "peak_funding" => pick("Peak funding", "Financiación máxima"),
            "provider.irr" => pick(
                "Provider IRR on its outlay",
                "TIR del operador sobre sus aportes",
            ),
            "provider.moic" => pick("Provider MOIC", "MOIC del operador"),
            "provider.margin" => pick("Provider margin", "Margen del operador"),
            "provider.npv" => pick(
                "Provider NPV at the hurdle",
                "VPN del operador a la tasa mínima",
            ),
            "provider.outlay" => pick("Provider outlay", "Aportes del operador"),
            "provider.peak_cash" => pick(
                "Provider's peak cash need",
                "Necesidad máxima de caja del operador",
            ),
            "provider.funding_gap" => pick(
                "Cash need above the credit line",
                "Necesidad de caja sobre la línea de crédito",
            ),
            "fixed_paid" => pick(
                "Fixed part of the price paid",
                "Parte fija del precio pagada",
            ),
            "fixed_share" => pick(
                "Fixed share of what the price paid",
                "Participación de la parte fija en lo pagado",
            ),
            "advance_recovered" => pick(
                "Advance recovered from results",
                "Anticipo amortizado con resultados",
            ),
            "advance_repaid" => pick("Advance repaid at the end", "Anticipo reintegrado al final"),
            "pool" => pick("Pool", "Bolsa"),
            "transferred" => pick("Transferred to agencies", "Transferido a las entidades"),
            "earned" => pick(
                "Earned by the agencies (before the pool)",
                "Ganado por las entidades (antes de la bolsa)",
            ),
            "pool_shortfall" => pick(
                "Earned but not transferred (pool)",
                "Ganado y no transferido (bolsa)",
            ),
            "agencies_paid_in_full" => pick(
                "Agencies paid their full commitment",
                "Entidades con su compromiso completo",
            ),
            "agencies_paid_nothing" => pick("Agencies paid nothing", "Entidades sin pago"),
            "prob_pool_binds" => pick(
                "P(the pool does not cover every transfer)",
                "P(la bolsa no cubre todas las transferencias)",
            ),
            "prob_provider_loss" => pick("P(provider loses money)", "P(el operador pierde dinero)"),
            "prob_provider_below_hurdle" => pick(
                "P(provider's return below the hurdle)",
                "P(retorno del operador bajo la tasa mínima)",
            ),
            "prob_provider_funding_gap" => pick(
                "P(cash need above the credit line)",
                "P(necesidad de caja sobre la línea de crédito)",
            ),
            "funding_gap" => pick("Funding gap", "Faltante de capital"),
            "guarantee_paid" => pick("Guarantee paid", "Garantía pagada"),
            "provider_bonus" => s.provider_bonus.to_owned(),
            "excess" => pick("Excess", "Excedente"),
            "service_fee_paid" => pick("Service fees paid", "Tarifas de servicio pagadas"),
            "payer_support" => pick(
                "Guarantee and floor paid by the payers",
                "Garantía y piso a cargo de los pagadores",
            ),
            "floor_paid" => pick("Principal floor paid", "Piso de capital pagado"),
            "prob_loss" => s.prob_loss.to_owned(),
            "prob_below_hurdle" => pick(
                "P(return below the hurdle)",
                "P(retorno bajo la tasa mínima)",
            ),
            "prob_funding_gap" => pick("P(funding gap)", "P(faltante de capital)"),
            "prob_budget_cap_hit" => s.prob_cap_hit.to_owned(),
            "prob_guarantee_called" => pick("P(guarantee called)", "P(se usa la garantía)"),
            "prob_floor_called" => {
                pick("P(principal floor called)", "P(se usa el piso de capital)")
            }
            other => other.to_owned(),
        }
    }
}

/// Groups thousands with `lang`'s separator: `1234567.8` -> `1,234,568` / `1.234.568`.
pub fn thousands(x: f64, lang: Lang) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let sep = lang.strings().thousands;
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(sep);
        }
        out.push(ch);
    }
    if x < 0.0 && out != "0" {
        format!("-{out}")
    } else {
        out
    }
}

/// A fraction as a percentage with one decimal in `lang`'s notation.
pub fn pct(x: f64, lang: Lang) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    format!("{}%", one_decimal(100.0 * x, lang))
}

/// `x` with one decimal and `lang`'s decimal separator: `0.3` / `0,3`.
pub fn one_decimal(x: f64, lang: Lang) -> String {
    let s = format!("{x:.1}");
    if lang.strings().decimal == ',' {
        s.replace('.', ",")
    } else {
        s
    }
}

/// Chooses a scale for amounts around `typical`: (divisor, word).
pub fn money_scale(typical: f64, lang: Lang) -> (f64, &'static str) {
    let s = lang.strings();
    let a = typical.abs();
    if a >= 1e10 {
        (1e9, s.scale[2])
    } else if a >= 1e7 {
        (1e6, s.scale[1])
    } else if a >= 1e4 {
        (1e3, s.scale[0])
    } else {
        (1.0, "")
    }
}

/// A number with up to `decimals` decimals and grouped thousands, in `lang`'s notation.
pub fn number(x: f64, decimals: usize, lang: Lang) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    let s = format!("{:.*}", decimals, x.abs());
    let (int, frac) = s.split_once('.').unwrap_or((&s, ""));
    let grouped = thousands(int.parse::<f64>().unwrap_or(0.0), lang);
    let frac = frac.trim_end_matches('0');
    let sign = if x < 0.0 && (grouped != "0" || !frac.is_empty()) {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}{}{frac}", lang.strings().decimal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notation_per_language() {
        assert_eq!(thousands(1234567.8, Lang::En), "1,234,568");
        assert_eq!(thousands(1234567.8, Lang::Es), "1.234.568");
        assert_eq!(pct(0.125, Lang::Es), "12,5%");
        assert_eq!(number(-2.50, 2, Lang::Es), "-2,5");
        assert_eq!(number(12345.678, 1, Lang::En), "12,345.7");
        assert_eq!(money_scale(3.2e10, Lang::Es).1, "miles de millones");
    }
}

//! A programme's trials (docs/model.md, "Programmes"): every deal runs its
//! own trial with its own random streams, as it would alone, and the risks
//! the deals share (the programme's shocks and common factor) are drawn once
//! per trial from the programme's own stream; then the fund's figures.

use rayon::prelude::*;

use super::LoadedProgramme;
use crate::engine::irr::{IrrSolver, annual_irr_with};
use crate::engine::metrics::tranche_totals;
use crate::engine::runner::{BLOCK, ROWS, TrialColumns};
use crate::engine::{
    Common, Discounts, Draws, Layout, Workspace, draw_params_common, funnel, measures, metrics,
    open_unit, trial_rng, waterfall,
};
use crate::model::{Model, ParamKind, ShockModel};
use crate::numeric::special::norm_quantile;

/// What separates the programme's stream from every deal's (a deal's
/// trial stream is seeded by its own seed).
const PROGRAMME_STREAM: u64 = 0x5052_4f47_5241_4d4d; // "PROGRAMM"

/// One deal of a compiled programme.
#[derive(Debug, Clone)]
pub struct DealModel {
    /// Its name in the programme.
    pub name: String,
    /// Its compiled scenario, with the programme's shocks that hit it
    /// appended to its own (their draws are external parameters).
    pub model: Model,
    /// Its metric row.
    pub layout: Layout,
    disc: Discounts,
    draws: Draws,
    /// The programme month of its month 0.
    pub start: usize,
    loading: f64,
    /// The parameters the common factor moves: its outcome rates and effect means.
    factor_params: Vec<usize>,
    /// For each of its external parameters, the programme shock it follows.
    shock_of_slot: Vec<usize>,
    /// The programme's name of each of its payers.
    payer_names: Vec<String>,
    /// The programme's name of each of its tranches' investors.
    investor_names: Vec<String>,
}

/// A compiled programme.
#[derive(Debug, Clone)]
pub struct ProgrammeModel {
    /// Name of the programme.
    pub name: String,
    /// Currency of every deal.
    pub currency: String,
    /// The deals, in the file's order.
    pub deals: Vec<DealModel>,
    /// Each programme shock's probability.
    shocks: Vec<f64>,
    /// The fund's budget across deals (infinite: none).
    pub budget_cap: f64,
    /// Each deal's rank when the budget binds (all 1 when shared pro rata).
    priority: Vec<i64>,
    /// The distinct ranks, first paid first.
    ranks: Vec<i64>,
    /// Months of the programme: the last month of any deal, plus one.
    horizon: usize,
    /// Trials of a run.
    pub trials: u64,
    /// Seed of the common risks.
    pub seed: u64,
    /// The fund's per-trial columns.
    pub fund: FundLayout,
    /// IRR solver for flows over the programme's months.
    irr: IrrSolver,
}

/// The fund's first per-trial columns, in order; then `fund.payer_cost.<payer>`
/// per payer name, `investor.<name>.irr`, `.moic` and `.net` per investor
/// in several deals, and the flags (see [`FundLayout`]).
pub const FUND_COLUMNS: [&str; 4] = ["fund.due", "fund.paid", "fund.payer_cost", "fund.shortfall"];

/// An investor that holds tranches of the same name in several deals: its
/// portfolio is the sum of those tranches' flows, month by programme month.
#[derive(Debug, Clone)]
pub struct Portfolio {
    /// The tranches' name.
    pub name: String,
    /// The deals it is in, in the programme's order.
    pub deals: Vec<String>,
    /// (deal, tranche) of each holding.
    holdings: Vec<(usize, usize)>,
    /// Its `investor.<name>.irr` column (then `.moic`, `.net`).
    column: usize,
    /// Its `_investor_loss.<name>` column.
    flag: usize,
}

/// The fund's per-trial columns.
#[derive(Debug, Clone)]
pub struct FundLayout {
    /// Column names in order.
    pub names: Vec<String>,
    /// Per payer name, in order of first appearance: its column and the
    /// (deal, payer) that carry the name.
    payers: Vec<(usize, Vec<(usize, usize)>)>,
    /// Investors in several deals.
    pub portfolios: Vec<Portfolio>,
    /// `_fund_budget_binds`.
    binds: usize,
}

impl FundLayout {
    fn new(deals: &[DealModel]) -> FundLayout {
        let mut names: Vec<String> = FUND_COLUMNS.iter().map(|s| (*s).to_owned()).collect();
        let mut payer_names: Vec<String> = Vec::new();
        let mut payer_of: Vec<Vec<(usize, usize)>> = Vec::new();
        for (i, d) in deals.iter().enumerate() {
            for (j, p) in d.payer_names.iter().enumerate() {
                let at = payer_names.iter().position(|n| n == p).unwrap_or_else(|| {
                    payer_names.push(p.clone());
                    payer_of.push(Vec::new());
                    payer_names.len() - 1
                });
                payer_of[at].push((i, j));
            }
        }
        let payers = payer_names
            .iter()
            .zip(payer_of)
            .map(|(p, of)| {
                names.push(format!("fund.payer_cost.{p}"));
                (names.len() - 1, of)
            })
            .collect();
        // Investors: the tranches of investor-funded deals, by name.
        let mut holders: Vec<(String, Vec<(usize, usize)>)> = Vec::new();
        for (i, d) in deals.iter().enumerate() {
            if !d.layout.tranche_columns {
                continue;
            }
            for (k, t) in d.investor_names.iter().enumerate() {
                match holders.iter_mut().find(|(n, _)| n == t) {
                    Some((_, h)) => h.push((i, k)),
                    None => holders.push((t.clone(), vec![(i, k)])),
                }
            }
        }
        let mut portfolios: Vec<Portfolio> = holders
            .into_iter()
            .filter(|(_, h)| {
                let mut ds: Vec<usize> = h.iter().map(|x| x.0).collect();
                ds.dedup();
                ds.len() > 1
            })
            .map(|(name, holdings)| {
                let column = names.len();
                for m in ["irr", "moic", "net"] {
                    names.push(format!("investor.{name}.{m}"));
                }
                let mut ds: Vec<String> = holdings
                    .iter()
                    .map(|&(i, _)| deals[i].name.clone())
                    .collect();
                ds.dedup();
                Portfolio {
                    name,
                    deals: ds,
                    holdings,
                    column,
                    flag: 0,
                }
            })
            .collect();
        names.push("_fund_budget_binds".into());
        let binds = names.len() - 1;
        for p in &mut portfolios {
            names.push(format!("_investor_loss.{}", p.name));
            p.flag = names.len() - 1;
        }
        FundLayout {
            names,
            payers,
            portfolios,
            binds,
        }
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are no columns (never: the fund's own are always there).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

impl ProgrammeModel {
    /// Months of the programme: the last month of any deal, plus one.
    pub fn horizon(&self) -> usize {
        self.horizon
    }

    /// Compiles a programme that passed validation.
    pub fn compile(p: &LoadedProgramme) -> ProgrammeModel {
        let prog = &p.programme;
        let deals: Vec<DealModel> = prog
            .deals
            .iter()
            .zip(&p.deals)
            .map(|(entry, loaded)| {
                let mut model = Model::compile(&loaded.scenario);
                let mut shock_of_slot = Vec::new();
                for (k, sh) in prog.shocks.iter().enumerate() {
                    let Some((_, hits)) = sh.hits.0.iter().find(|(d, _)| *d == entry.name) else {
                        continue;
                    };
                    let mut multipliers = vec![1.0; model.outcomes.len()];
                    for (id, m) in &hits.0 {
                        if let Some(o) = model.outcomes.iter().position(|o| &o.id == id) {
                            multipliers[o] *= m;
                        }
                    }
                    let param = model.params.len() + shock_of_slot.len();
                    model.shocks.push(ShockModel {
                        name: sh.name.clone(),
                        probability: sh.probability,
                        from_month: 0,
                        multipliers,
                        param,
                    });
                    shock_of_slot.push(k);
                }
                model.external_params = shock_of_slot.len();
                let factor_params = model
                    .params
                    .iter()
                    .enumerate()
                    .filter(|(_, q)| matches!(q.kind, ParamKind::Rate(_) | ParamKind::Effect(_)))
                    .map(|(j, _)| j)
                    .collect();
                let layout = Layout::new(&model);
                let disc = Discounts::new(&model);
                let draws = Draws {
                    seed: model.seed,
                    trials: 0,
                    sampling: model.sampling,
                };
                let rename = |names: &crate::scenario::IdMap<String>, n: &str| {
                    names
                        .0
                        .iter()
                        .find(|(from, _)| from == n)
                        .map_or_else(|| n.to_owned(), |(_, to)| to.clone())
                };
                let payer_names = model
                    .payers
                    .iter()
                    .map(|(n, _)| rename(&entry.payers, n))
                    .collect();
                let investor_names = model
                    .tranches
                    .iter()
                    .map(|t| rename(&entry.investors, &t.name))
                    .collect();
                DealModel {
                    payer_names,
                    investor_names,
                    name: entry.name.clone(),
                    layout,
                    disc,
                    draws,
                    start: entry.start_month.map_or(0, |m| m.0.max(0) as usize),
                    loading: entry.loading.unwrap_or(0.0),
                    factor_params,
                    shock_of_slot,
                    model,
                }
            })
            .collect();
        let priority = prog
            .deals
            .iter()
            .map(|d| match prog.fund.allocation {
                Some(crate::scenario::Allocation::Priority) => d.priority.map_or(1, |r| r.0),
                _ => 1,
            })
            .collect();
        let mut ranks: Vec<i64> = Vec::clone(&priority);
        ranks.sort_unstable();
        ranks.dedup();
        let horizon = deals
            .iter()
            .map(|d: &DealModel| d.start + d.model.horizon)
            .max()
            .unwrap_or(0);
        let trials = prog
            .simulation
            .trials
            .map_or(10_000, |t| u64::try_from(t.0).unwrap_or(10_000));
        let fund = FundLayout::new(&deals);
        ProgrammeModel {
            fund,
            irr: IrrSolver::new(horizon),
            name: prog.name.clone(),
            currency: prog.currency.clone(),
            deals,
            shocks: prog.shocks.iter().map(|s| s.probability).collect(),
            budget_cap: prog.fund.budget_cap.unwrap_or(f64::INFINITY),
            priority,
            ranks,
            horizon,
            trials,
            seed: prog
                .simulation
                .seed
                .map_or(0, |s| u64::try_from(s.0).unwrap_or(0)),
        }
    }
}

/// The per-trial columns of a programme run: each deal's, then the fund's.
#[derive(Debug, Clone)]
pub struct ProgrammeColumns {
    /// Each deal's metric columns.
    pub deals: Vec<TrialColumns>,
    /// The fund's columns ([`FundLayout`]).
    pub fund: TrialColumns,
}

/// The common risks of trial `trial`: the factor, then each shock's
/// happening, from the programme's own stream.
fn common_draws(pm: &ProgrammeModel, trial: u64, shocks: &mut [bool]) -> f64 {
    let mut rng = trial_rng(pm.seed ^ PROGRAMME_STREAM, trial);
    let z = norm_quantile(open_unit(&mut rng));
    for (s, &p) in shocks.iter_mut().zip(&pm.shocks) {
        *s = open_unit(&mut rng) < p;
    }
    z
}

/// A trial's scratch: the common shocks, and per deal its payments due
/// and allowed by month.
struct Scratch {
    shocks: Vec<bool>,
    due: Vec<f64>,
    allowed: Vec<Vec<f64>>,
    /// An investor's flows by programme month.
    flows: Vec<f64>,
    /// The fund's row of the trial ([`FundLayout`] order).
    row: Vec<f64>,
}

/// Runs trial `trial` of every deal into its workspace, and the fund's row into `sc.row`.
/// First every deal as if the fund paid everything; when the fund's budget
/// binds, the months are paid from it in calendar order (pro rata to what
/// each deal is due, or by priority) and every deal it cut runs its
/// payments and deal account again with what the fund pays it each month.
fn programme_trial(pm: &ProgrammeModel, trial: u64, wss: &mut [Workspace], sc: &mut Scratch) {
    let z = common_draws(pm, trial, &mut sc.shocks);
    let mut due = 0.0;
    for (d, ws) in pm.deals.iter().zip(wss.iter_mut()) {
        let m = &d.model;
        let mut rng = trial_rng(d.draws.seed, trial);
        let draws = Draws {
            trials: pm.trials,
            ..d.draws
        };
        let common = Common {
            z,
            loading: d.loading,
            params: &d.factor_params,
        };
        draw_params_common(m, &draws, trial, &mut rng, ws, Some(common));
        for (slot, &k) in d.shock_of_slot.iter().enumerate() {
            ws.params[m.params.len() + slot] = f64::from(u8::from(sc.shocks[k]));
        }
        ws.fund_ceiling.clear();
        funnel(m, &mut rng, ws);
        measures(m, &mut rng, ws);
        waterfall(m, &d.disc, ws);
        metrics(m, &d.layout, &d.disc, ws);
        due += ws.totals.gross_payments;
    }
    if due > pm.budget_cap && allocate(pm, wss, sc) {
        for ((d, ws), allowed) in pm.deals.iter().zip(wss.iter_mut()).zip(&sc.allowed) {
            let h = d.model.horizon;
            let cut = (0..h).any(|t| allowed[d.start + t] < ws.payments[t]);
            if cut {
                ws.fund_ceiling.clear();
                ws.fund_ceiling
                    .extend_from_slice(&allowed[d.start..d.start + h]);
                waterfall(&d.model, &d.disc, ws);
                metrics(&d.model, &d.layout, &d.disc, ws);
                ws.fund_ceiling.clear();
            }
        }
    }
    let (mut paid, mut cost) = (0.0, 0.0);
    for (d, ws) in pm.deals.iter().zip(wss.iter()) {
        paid += ws.totals.gross_payments;
        cost += ws.row[d.layout.payer_cost];
    }
    let shortfall = (due - paid).max(0.0);
    let f = &pm.fund;
    let row = &mut sc.row;
    row[..4].copy_from_slice(&[due, paid, cost, shortfall]);
    row[f.binds] = f64::from(u8::from(shortfall > 0.0));
    for (col, of) in &f.payers {
        row[*col] = of
            .iter()
            .map(|&(i, j)| wss[i].row[pm.deals[i].layout.payer_cost_by + j])
            .sum();
    }
    for p in &f.portfolios {
        sc.flows.fill(0.0);
        let (mut put, mut got) = (0.0, 0.0);
        for &(i, k) in &p.holdings {
            let d = &pm.deals[i];
            let h = d.model.horizon;
            let ws = &wss[i];
            for (x, y) in sc.flows[d.start..d.start + h]
                .iter_mut()
                .zip(&ws.flows[k * h..(k + 1) * h])
            {
                *x += y;
            }
            let (c, b) = tranche_totals(&d.model, ws, k);
            put += c;
            got += b;
        }
        row[p.column] = annual_irr_with(Some(&pm.irr), &sc.flows, put, got);
        row[p.column + 1] = if put > 0.0 { got / put } else { f64::NAN };
        row[p.column + 2] = got - put;
        row[p.flag] = f64::from(u8::from(got - put < -1e-9 * put));
    }
}

/// What the fund pays each deal each programme month (`sc.allowed`), from
/// what each deal's payments were with no fund limit: month by month, what
/// is left of the budget pays rank by rank, pro rata to what is due within
/// a rank. Whether any deal was cut.
fn allocate(pm: &ProgrammeModel, wss: &[Workspace], sc: &mut Scratch) -> bool {
    let mut left = pm.budget_cap;
    let mut any_cut = false;
    for allowed in sc.allowed.iter_mut() {
        allowed.fill(0.0);
    }
    for t in 0..pm.horizon {
        for ((d, ws), due) in pm.deals.iter().zip(wss).zip(sc.due.iter_mut()) {
            *due = if t >= d.start && t < d.start + d.model.horizon {
                ws.payments[t - d.start]
            } else {
                0.0
            };
        }
        for &r in &pm.ranks {
            let total: f64 = pm
                .priority
                .iter()
                .zip(&sc.due)
                .filter(|(p, _)| **p == r)
                .map(|(_, x)| x)
                .sum();
            if total <= 0.0 {
                continue;
            }
            let f = if total <= left {
                1.0
            } else {
                any_cut = true;
                (left / total).max(0.0)
            };
            for ((p, x), allowed) in pm.priority.iter().zip(&sc.due).zip(sc.allowed.iter_mut()) {
                if *p == r {
                    allowed[t] = if f == 1.0 { *x } else { x * f };
                }
            }
            left = (left - total * f).max(0.0);
        }
    }
    any_cut
}

/// Runs trials `0..pm.trials` on `threads` threads (None: all cores), in
/// blocks of [`BLOCK`] trials, each block writing its own slice of every
/// column: the same numbers for any thread count.
pub fn simulate(
    pm: &ProgrammeModel,
    threads: Option<usize>,
) -> Result<ProgrammeColumns, rayon::ThreadPoolBuildError> {
    simulate_range(pm, 0..pm.trials, threads)
}

/// [`simulate`] of trials `range` only (a shard of the run): every trial
/// draws what it draws in the whole run.
pub fn simulate_range(
    pm: &ProgrammeModel,
    range: std::ops::Range<u64>,
    threads: Option<usize>,
) -> Result<ProgrammeColumns, rayon::ThreadPoolBuildError> {
    let n = usize::try_from(range.end.saturating_sub(range.start)).unwrap_or(0);
    let widths: Vec<usize> = pm.deals.iter().map(|d| d.layout.len()).collect();
    let fund_width = pm.fund.len();
    // Every deal's columns, then the fund's: one zeroed allocation each,
    // first touched by the workers.
    let mut data: Vec<Vec<f64>> = (0..widths.iter().sum::<usize>() + fund_width)
        .map(|_| vec![0.0; n])
        .collect();
    let m = data.len();
    {
        let n_blocks = n.div_ceil(BLOCK);
        let mut blocks: Vec<Vec<&mut [f64]>> =
            (0..n_blocks).map(|_| Vec::with_capacity(m)).collect();
        for col in data.iter_mut() {
            for (b, chunk) in col.chunks_mut(BLOCK).enumerate() {
                blocks[b].push(chunk);
            }
        }
        let work = || {
            blocks.into_par_iter().enumerate().for_each_init(
                || {
                    (
                        pm.deals
                            .iter()
                            .map(|d| {
                                let mut ws = Workspace::new(&d.model, &d.layout);
                                // (A programme keeps no month-by-month series.)
                                ws.record_account = false;
                                ws
                            })
                            .collect::<Vec<_>>(),
                        Scratch {
                            shocks: vec![false; pm.shocks.len()],
                            due: vec![0.0; pm.deals.len()],
                            allowed: vec![vec![0.0; pm.horizon]; pm.deals.len()],
                            flows: vec![0.0; pm.horizon],
                            row: vec![0.0; fund_width],
                        },
                        vec![0.0; ROWS * m],
                    )
                },
                |(wss, sc, rows), (b, mut slices)| {
                    let len = slices.first().map_or(0, |s| s.len());
                    // Rows of ROWS trials at a time (every deal's row, then
                    // the fund's), then column by column into the slices.
                    for start in (0..len).step_by(ROWS) {
                        let end = (start + ROWS).min(len);
                        for (i, row) in (start..end).zip(rows.chunks_exact_mut(m)) {
                            programme_trial(pm, range.start + (b * BLOCK + i) as u64, wss, sc);
                            let mut at = 0;
                            for (ws, &w) in wss.iter().zip(&widths) {
                                row[at..at + w].copy_from_slice(&ws.row);
                                at += w;
                            }
                            row[at..].copy_from_slice(&sc.row);
                        }
                        for (j, s) in slices.iter_mut().enumerate() {
                            for (x, row) in s[start..end].iter_mut().zip(rows.chunks_exact(m)) {
                                *x = row[j];
                            }
                        }
                    }
                },
            );
        };
        let mut builder = rayon::ThreadPoolBuilder::new();
        if let Some(t) = threads {
            builder = builder.num_threads(t);
        }
        builder.build()?.install(work);
    }
    let mut columns = data.into_iter();
    let deals: Vec<TrialColumns> = pm
        .deals
        .iter()
        .map(|d| TrialColumns {
            names: d.layout.names.clone(),
            first_trial: range.start,
            data: columns.by_ref().take(d.layout.len()).collect(),
            horizon: d.model.horizon,
            months: Vec::new(),
        })
        .collect();
    let fund = TrialColumns {
        names: pm.fund.names.clone(),
        first_trial: range.start,
        data: columns.collect(),
        horizon: 0,
        months: Vec::new(),
    };
    Ok(ProgrammeColumns { deals, fund })
}

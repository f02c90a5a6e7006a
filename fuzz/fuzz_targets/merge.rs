//! Fuzz target: shard bytes through `ibsim merge`'s checks and the summary.
//! Input: the raw bytes are decoded as a shard file as they are; then they
//! are read as a header length (4 bytes), a JSON header and data, sealed
//! with a correct checksum (what anyone can write), decoded and merged.
//! Any input must end in an error message, never in a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sha2::Digest;

fuzz_target!(|data: &[u8]| {
    // 1. As a file: magic, version, checksum, sizes.
    let _ = ibsim::shard::decode(data);
    // 2. Past the checksum: every header field against the data and the scenario.
    if data.len() < 4 {
        return;
    }
    let hlen = (u32::from_le_bytes(data[..4].try_into().unwrap()) as usize).min(data.len() - 4);
    let (header, rest) = data[4..].split_at(hlen);
    let mut file = b"IBSIMSHD".to_vec();
    file.extend_from_slice(&2u32.to_le_bytes());
    file.extend_from_slice(&(header.len() as u32).to_le_bytes());
    file.extend_from_slice(header);
    file.extend_from_slice(rest);
    let sum = sha2::Sha256::digest(&file);
    file.extend_from_slice(&sum);
    if let Ok((h, cols)) = ibsim::shard::decode(&file) {
        let _ = ibsim::shard::merge_decoded(vec![("fuzz.ibshard".into(), h, cols)]);
    }
});

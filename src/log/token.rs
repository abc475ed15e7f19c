//! Position tokens: where a reader stands, as printable text a caller keeps
//! anywhere (a database row, a file), like a journald cursor. A token names
//! each log it is a position in and the sequence number read on at, so it
//! stays valid across rolls, compression, shipping and retention (a
//! sequence number is never given twice), and a token of another log is
//! refused. docs/FORMAT.md, "Consumers", specifies the text.

use crate::error::{Error, Result};
use crate::format::crc32;

const PREFIX: &str = "binlog1:";

/// The token of `positions` (log name, next sequence number).
pub fn encode(positions: &[(String, u64)]) -> String {
    let body: Vec<String> = positions
        .iter()
        .map(|(log, seq)| format!("{log}@{seq}"))
        .collect();
    let text = format!("{PREFIX}{}", body.join(","));
    format!("{text}:{:08x}", crc32(text.as_bytes()))
}

/// The positions a token holds: `InvalidArgument` for text that is no
/// token (mistyped, cut short: its check fails).
pub fn decode(token: &str) -> Result<Vec<(String, u64)>> {
    let bad = |why: &str| Error::invalid(format!("position token {token:?}: {why}"));
    let (text, crc) = token
        .rsplit_once(':')
        .ok_or_else(|| bad("not a position token"))?;
    let body = text
        .strip_prefix(PREFIX)
        .ok_or_else(|| bad("not a position token (it starts with binlog1:)"))?;
    if u32::from_str_radix(crc, 16).ok() != Some(crc32(text.as_bytes())) || crc.len() != 8 {
        return Err(bad("its check does not match (mistyped or cut short)"));
    }
    body.split(',')
        .map(|p| {
            let (log, seq) = p.rsplit_once('@').ok_or_else(|| bad("no log@seq"))?;
            crate::log::options::validate_name(log)?;
            let seq = seq
                .parse()
                .map_err(|_| bad("a sequence number is not a number"))?;
            Ok((log.to_string(), seq))
        })
        .collect()
}

/// The sequence number a single log's token holds for log `log`:
/// `InvalidArgument` naming both logs for a token of another log (or many).
pub fn seq_in(token: &str, log: &str) -> Result<u64> {
    let positions = decode(token)?;
    match positions.as_slice() {
        [(l, seq)] if l == log => Ok(*seq),
        _ => {
            let logs: Vec<&str> = positions.iter().map(|(l, _)| l.as_str()).collect();
            let logs = logs.join(", ");
            let why = format!("position token {token:?} is a position in {logs}, not in log {log}");
            Err(Error::invalid(why))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_reads_back_as_its_positions() {
        let p = vec![("orders".to_string(), 1501), ("pay-1".to_string(), 0)];
        let t = encode(&p);
        assert!(t.starts_with("binlog1:orders@1501,pay-1@0:"), "{t}");
        assert_eq!(decode(&t).unwrap(), p);
    }

    #[test]
    fn a_mistyped_token_or_one_of_another_log_is_refused() {
        let t = encode(&[("orders".to_string(), 1501)]);
        let typo = t.replace("1501", "1502");
        assert!(decode(&typo).unwrap_err().to_string().contains("check"));
        assert!(decode("garbage").is_err());
        let e = seq_in(&t, "payments").unwrap_err();
        assert_eq!(e.kind(), crate::error::ErrorKind::InvalidArgument);
        assert!(e.to_string().contains("not in log payments"), "{e}");
        assert_eq!(seq_in(&t, "orders").unwrap(), 1501);
    }
}

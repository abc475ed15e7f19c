//! A log's identity as the archive knows it: its name and a random id,
//! made by the first shipment and kept beside the log's manifest in
//! `<log>.ship-id` (written once: temporary file, fsync, rename, fsync of
//! the directory).
//!
//! The claim: the object `<prefix>/<log>/claim`, created once with a
//! create-only PUT, holding the identity of the log that ships there. A
//! log whose identity differs is refused (`WrongLog`), as a segment of
//! another log is refused locally: two logs of the same name shipping to
//! one prefix would mix their segments.
//! The PUT is signed and sent as the segments' are (`Remote::put_create_plain`,
//! signed.rs): an answer the server will give again (a 501) fails the
//! claim at once, naming it.

use super::object_name::claim_key;
use super::remote::{Created, Remote};
use crate::error::{Error, ErrorKind, Result};
use crate::log::lines::{self, Format};
use std::path::{Path, PathBuf};

/// A log's name and archive id (32 lowercase hex digits).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub log: String,
    pub id: String,
}

const FORMAT: Format = Format {
    name: "log identity",
    version: "binlog-ship-id 1",
    checked: false,
};

impl Identity {
    /// A new identity of `log`, with a random id.
    pub fn new_random(log: &str) -> Result<Identity> {
        use ring::rand::SecureRandom;
        let mut id = [0u8; 16];
        ring::rand::SystemRandom::new()
            .fill(&mut id)
            .map_err(|_| Error::new(ErrorKind::Io, "no random bytes for a log id"))?;
        Ok(Identity {
            log: log.to_string(),
            id: id.iter().map(|b| format!("{b:02x}")).collect(),
        })
    }

    pub fn encode(&self) -> String {
        FORMAT.render(&format!("log {}\nid {}\n", self.log, self.id))
    }

    /// Decodes what `encode` made; errors name `source` (a file or an
    /// object's URL).
    pub fn decode(text: &str, source: &Path) -> Result<Identity> {
        let mut lines = FORMAT.parse(text, source)?;
        let log = lines.expect("log", 1)?.fields[0].to_string();
        let line = lines.expect("id", 1)?;
        let id = line.fields[0].to_string();
        if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(line.error("the id is not 32 hex digits"));
        }
        lines.end()?;
        Ok(Identity { log, id })
    }
}

/// Where log `log` in `dir` keeps its identity.
pub fn identity_path(dir: &Path, log: &str) -> PathBuf {
    dir.join(format!("{log}.ship-id"))
}

/// The identity stored at `path`, `None` if there is none.
pub fn load(path: &Path) -> Result<Option<Identity>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Identity::decode(&text, path).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(path, "read log identity", e)),
    }
}

/// Stores `identity` at `path` durably, replacing what is there.
pub fn store(path: &Path, identity: &Identity) -> Result<()> {
    lines::replace(path, ".tmp", &identity.encode(), true)
}

/// Claims the prefix for `me`, or checks that it is claimed by `me`.
pub fn claim(remote: &Remote, me: &Identity) -> Result<()> {
    let key = claim_key(&remote.location().prefix, &me.log);
    match remote.put_create_plain(&key, me.encode().into_bytes())? {
        Created::Created => Ok(()),
        Created::AlreadyExists => match owner(remote, &me.log)? {
            Some(owner) if owner == *me => Ok(()),
            Some(owner) => Err(refused(&remote.location().url_of(&key), &owner, me)),
            // Created and then removed since: claim it again.
            None => claim(remote, me),
        },
    }
}

/// The identity in the claim of `log`, `None` if the prefix is unclaimed.
pub fn owner(remote: &Remote, log: &str) -> Result<Option<Identity>> {
    let key = claim_key(&remote.location().prefix, log);
    let got = remote.get_text(&key)?;
    got.map(|(text, url)| Identity::decode(&text, &url))
        .transpose()
}

/// The error for a prefix claimed by `owner` that `me` tried to ship to.
pub fn refused(url: &str, owner: &Identity, me: &Identity) -> Error {
    let (name, id, mine) = (&owner.log, &owner.id, &me.id);
    let what = format!(
        "the prefix is claimed by another log named {name:?} (id {id}); this log's id is {mine}: \
         ship it to another prefix"
    );
    Error::file(ErrorKind::WrongLog, Path::new(url), what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_round_trip_and_differ() {
        let a = Identity::new_random("orders").unwrap();
        let b = Identity::new_random("orders").unwrap();
        assert_ne!(a.id, b.id);
        assert_eq!(Identity::decode(&a.encode(), Path::new("x")).unwrap(), a);
        let cut = &a.encode()[..20];
        assert_eq!(
            Identity::decode(cut, Path::new("x")).unwrap_err().kind(),
            ErrorKind::Corrupt
        );
    }
}

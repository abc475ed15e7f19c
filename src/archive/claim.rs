//! The claim: the object `<prefix>/<log>/claim`, created once with a
//! create-only PUT, holding the identity of the log that ships there. A
//! log whose identity differs is refused (`WrongLog`), as a segment of
//! another log is refused locally: two logs of the same name shipping to
//! one prefix would mix their segments.
//! The PUT is signed and sent as the segments' are (`Remote::put_create_plain`,
//! signed.rs): an answer the server will give again (a 501) fails the
//! claim at once, naming it.

use super::identity::Identity;
use super::object_name::claim_key;
use super::remote::{Created, Remote};
use crate::error::{Error, ErrorKind, Result};
use std::path::Path;

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

//! A power cut: what of the unsynced state survives (nothing, or a seeded
//! random part of it), and writing what survived to the backing directory,
//! which is what the next mount starts from.

use crate::model::{copy_block, Body, FileData, Ino, Model, Node, BLOCK, ROOT};
use crate::rng::Rng;
use std::collections::HashMap;
use std::ffi::OsString;
use std::fs;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// How much of the unsynced state a cut keeps besides what was synced.
#[derive(Clone, Copy, Debug, Default)]
pub struct Policy {
    pub seed: u64,
    /// Keep each unsynced page with probability 1/2, pages of this many
    /// bytes (512 or 4096; 0: each file's chosen at random between the
    /// two); `None`: keep no unsynced data.
    pub torn: Option<u64>,
    /// Keep, in each directory, the oldest k of the operations since its
    /// last fsync, k at random (0 to all); otherwise none.
    pub keep_dir_ops: bool,
}

/// Changes `model`'s durable state to what survives a cut under `policy`.
pub fn survive(model: &mut Model, policy: Policy) {
    let mut rng = Rng::new(policy.seed);
    let mut inos: Vec<Ino> = model.nodes.keys().copied().collect();
    inos.sort_unstable();
    for ino in inos {
        match &mut model.nodes.get_mut(&ino).expect("listed").body {
            Body::File(f) => {
                if let Some(page) = policy.torn {
                    tear(f, page, &mut rng);
                }
            }
            Body::Dir(d) => {
                if policy.keep_dir_ops && !d.pending.is_empty() {
                    let k = rng.upto(d.pending.len() as u64) as usize;
                    for op in d.pending.drain(..k) {
                        for (name, target) in op {
                            match target {
                                Some(ino) => d.durable.insert(name, ino),
                                None => d.durable.remove(&name),
                            };
                        }
                    }
                }
            }
        }
    }
}

/// Keeps a random half of a file's unsynced pages (in any order: each on
/// its own), and its unsynced truncation with probability 1/2.
fn tear(f: &mut FileData, page: u64, rng: &mut Rng) {
    let page = match page {
        0 if rng.coin() => 4096,
        0 => 512,
        p => p,
    };
    if f.live.len() < f.durable.len() && rng.coin() {
        f.durable.truncate(f.live.len());
    }
    let mut last_page = u64::MAX;
    let mut keep = false;
    let dirty: Vec<u64> = f.dirty.iter().copied().collect();
    for b in dirty {
        let p = b * BLOCK / page;
        if p != last_page {
            last_page = p;
            keep = rng.coin();
        }
        if keep {
            copy_block(f, b * BLOCK, (b + 1) * BLOCK);
        }
    }
}

/// Replaces the contents of `backing` with the durable tree of `model`.
/// An inode durably named twice becomes two hard links; a directory
/// durably named twice (a rename between two directories of which one
/// was synced) appears once.
pub fn write_durable(model: &Model, backing: &Path) -> io::Result<()> {
    for e in fs::read_dir(backing)? {
        let p = e?.path();
        if p.is_dir() && !p.is_symlink() {
            fs::remove_dir_all(&p)?;
        } else {
            fs::remove_file(&p)?;
        }
    }
    let mut written = HashMap::new();
    write_dir(model, ROOT, backing, &mut written)
}

fn write_dir(
    model: &Model,
    dir: Ino,
    path: &Path,
    written: &mut HashMap<Ino, PathBuf>,
) -> io::Result<()> {
    let Body::Dir(d) = &model.nodes[&dir].body else {
        return Ok(());
    };
    for (name, &ino) in &d.durable {
        let Some(node) = model.nodes.get(&ino) else {
            continue;
        };
        let to = path.join(name);
        match (&node.body, written.get(&ino)) {
            (Body::File(_), Some(first)) => fs::hard_link(first, &to)?,
            (Body::Dir(_), Some(_)) => continue,
            (Body::File(f), None) => fs::write(&to, &f.durable)?,
            (Body::Dir(_), None) => fs::create_dir(&to)?,
        }
        written.insert(ino, to.clone());
        fs::set_permissions(&to, fs::Permissions::from_mode(u32::from(node.perm)))?;
        write_dir(model, ino, &to, written)?;
    }
    Ok(())
}

/// A model whose live and durable states are both the tree at `backing`.
pub fn load(backing: &Path) -> io::Result<Model> {
    let mut model = Model::default();
    let mut seen = HashMap::new();
    load_dir(&mut model, ROOT, backing, &mut seen)?;
    Ok(model)
}

fn load_dir(
    model: &mut Model,
    dir: Ino,
    path: &Path,
    seen: &mut HashMap<(u64, u64), Ino>,
) -> io::Result<()> {
    let mut entries: Vec<(OsString, Ino)> = Vec::new();
    for e in fs::read_dir(path)? {
        let e = e?;
        let meta = fs::symlink_metadata(e.path())?;
        let perm = (meta.mode() & 0o7777) as u16;
        let key = (meta.dev(), meta.ino());
        let ino = if let Some(&ino) = seen.get(&key) {
            ino
        } else if meta.is_dir() {
            let ino = model.add(Node::dir(perm));
            load_dir(model, ino, &e.path(), seen)?;
            ino
        } else if meta.is_file() {
            model.add(Node::file(perm, fs::read(e.path())?))
        } else {
            continue;
        };
        seen.insert(key, ino);
        entries.push((e.file_name(), ino));
    }
    for (name, ino) in entries {
        let node = model.nodes.get_mut(&ino).expect("added");
        if matches!(node.body, Body::File(_)) {
            node.nlink += 1;
        }
        if let Body::Dir(d) = &mut model.nodes.get_mut(&dir).expect("a directory").body {
            d.live.insert(name.clone(), ino);
            d.durable.insert(name, ino);
        }
    }
    Ok(())
}

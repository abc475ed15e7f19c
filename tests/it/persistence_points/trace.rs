//! A child process run under strace, and the orderings of its file system
//! calls checked on the trace: which write a sync covers, which directory
//! sync follows a create, rename or unlink, and where marks the child left
//! (an open of `/binlog-persistence-mark/<name>`, which fails) fall
//! between them. Lines of the trace are its order: a call that strace
//! shows unfinished and resumed starts at the first line and ends at the
//! second, so "before" means ended on an earlier line than the other
//! started.
// The fault injection and the threads' marks serve the tests of the tool
// and the shipper, built only with the features "cli" and "s3".
#![cfg_attr(not(feature = "s3"), allow(dead_code))]

use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The calls traced: files opened, created, written, cut, synced, renamed,
/// linked and removed.
const CALLS: &str = "trace=openat,open,creat,write,pwrite64,writev,pwritev,pwritev2,\
copy_file_range,sendfile,splice,\
ftruncate,truncate,fallocate,fsync,fdatasync,sync_file_range,syncfs,sync,\
rename,renameat,renameat2,link,linkat,unlink,unlinkat";

/// The directory a child's marks name; it never exists.
const MARKS: &str = "/binlog-persistence-mark/";

/// Leaves mark `name` in the trace of the process that calls it.
pub fn mark(name: &str) {
    let _ = std::fs::File::open(format!("{MARKS}{name}"));
}

/// One system call of the trace.
#[derive(Clone, Debug)]
pub struct Call {
    /// The thread that made it.
    pub pid: String,
    pub name: String,
    pub args: String,
    pub ret: String,
    /// The trace lines it started and ended on.
    pub start: usize,
    pub end: usize,
}

impl Call {
    /// The file of its first argument, a descriptor (`5</path>`).
    pub fn fd_path(&self) -> Option<PathBuf> {
        let inner = self.args.split_once('<')?.1;
        let path = inner.split_once('>')?.0;
        Some(PathBuf::from(path.trim_end_matches(" (deleted)")))
    }

    /// The quoted path arguments, in order.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.args
            .split('"')
            .skip(1)
            .step_by(2)
            .map(PathBuf::from)
            .collect()
    }

    /// The file an open created (`O_CREAT`), from its result `5</path>`.
    pub fn created(&self) -> Option<PathBuf> {
        let creates = matches!(self.name.as_str(), "openat" | "open" | "creat")
            && (self.args.contains("O_CREAT") || self.name == "creat");
        let inner = self.ret.split_once('<')?.1;
        creates.then(|| PathBuf::from(inner.split_once('>').unwrap_or((inner, "")).0))
    }

    fn ok(&self) -> bool {
        !self.ret.starts_with('-') && !self.ret.starts_with('?')
    }

    fn is_sync_of(&self, file: &Path) -> bool {
        matches!(self.name.as_str(), "fsync" | "fdatasync")
            && self.ok()
            && self.fd_path().as_deref() == Some(file)
    }

    /// The files of its descriptor arguments (`5</path>`), in order.
    fn fd_paths(&self) -> Vec<PathBuf> {
        self.args
            .split('<')
            .skip(1)
            .filter_map(|a| a.split_once('>'))
            .map(|(p, _)| PathBuf::from(p.trim_end_matches(" (deleted)")))
            .collect()
    }

    /// A write of bytes (not the zeros prepared ahead of the records,
    /// whose shown bytes are all zero), a copy into (std::io::copy's
    /// copy_file_range, sendfile or splice) or a cut of `file`.
    pub fn changes(&self, file: &Path) -> bool {
        let target = match self.name.as_str() {
            "write" | "pwrite64" | "writev" | "pwritev" | "pwritev2" if !self.writes_zeros() => {
                self.fd_path()
            }
            "ftruncate" | "sendfile" => self.fd_path(),
            "copy_file_range" | "splice" => self.fd_paths().into_iter().nth(1),
            _ => None,
        };
        target.as_deref() == Some(file)
    }

    /// The end of the bytes a pwrite64 wrote, or the length an ftruncate
    /// set.
    fn extent(&self) -> Option<u64> {
        let last = self.args.rsplit(", ").next()?.trim();
        let n: u64 = last.parse().ok()?;
        match self.name.as_str() {
            "ftruncate" => Some(n),
            "pwrite64" => self.ret.parse::<u64>().ok().map(|len| n + len),
            _ => None,
        }
    }

    fn writes_zeros(&self) -> bool {
        let shown = self.args.split('"').nth(1).unwrap_or("x");
        !shown.is_empty() && shown.replace("\\0", "").is_empty()
    }
}

/// A finished trace.
pub struct Trace {
    pub calls: Vec<Call>,
    marks: HashMap<String, usize>,
    text: String,
}

/// Fails, saying how to get it, unless strace runs here.
pub fn require_strace() {
    let ok = Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "strace is not installed: the persistence-point tests trace the library's system calls \
         with it (`apt-get install strace`, or `make test-rust`, which installs it)"
    );
}

/// Runs `program args` under strace (every thread and child) with `envs`,
/// writing the trace to `out`, and parses it; the program must succeed.
pub fn run(program: &Path, args: &[&OsStr], envs: &[(&str, &OsStr)], out: &Path) -> Trace {
    require_strace();
    let mut cmd = Command::new("strace");
    cmd.args(["-f", "-qq", "-tt", "-y", "-s", "16", "-e", CALLS, "-o"])
        .arg(out)
        .args(crate::common::child::argv(program))
        .args(args);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let o = cmd.output().expect("run strace");
    assert!(
        o.status.success(),
        "{} under strace failed ({}):\n{}\n{}",
        program.display(),
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    parse(&std::fs::read_to_string(out).expect("read trace"))
}

/// Runs `program args` under strace with the extra strace options
/// `strace_args` (a fault to inject: `-P <path> -e inject=...`), tracing
/// only what they select; returns how it exited and its output.
pub fn run_injected(program: &Path, args: &[&OsStr], strace_args: &[&str]) -> std::process::Output {
    require_strace();
    Command::new("strace")
        .args(["-f", "-qq", "-o", "/dev/null"])
        .args(strace_args)
        .args(crate::common::child::argv(program))
        .args(args)
        .output()
        .expect("run strace")
}

/// Runs test `test` of this test binary under strace, with `envs`.
pub fn run_child(test: &str, envs: &[(&str, &OsStr)], out: &Path) -> Trace {
    let exe = std::env::current_exe().unwrap();
    let test = crate::common::child::full_test_name(test);
    let args = ["--exact", &test, "--nocapture", "--test-threads=1"].map(OsStr::new);
    run(&exe, &args, envs, out)
}

/// Parses strace's output (`-f -tt -y`): `<pid> <time> name(args) = ret`,
/// with calls interrupted by another thread's split over two lines.
pub fn parse(text: &str) -> Trace {
    let mut calls = Vec::new();
    let mut open: HashMap<&str, Call> = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let Some((pid, rest)) = line.split_once(' ') else {
            continue;
        };
        let Some((_time, rest)) = rest.trim_start().split_once(' ') else {
            continue;
        };
        if let Some(resumed) = rest.strip_prefix("<... ") {
            let Some(mut c) = open.remove(pid) else {
                continue;
            };
            let tail = resumed.split_once("resumed>").map_or("", |(_, t)| t);
            let (args, ret) = split_ret(tail);
            c.args.push_str(args);
            c.ret = ret.to_string();
            c.end = i;
            calls.push(c);
            continue;
        }
        let Some((name, after)) = rest.split_once('(') else {
            continue; // +++ exited, --- signals
        };
        let mut c = Call {
            pid: pid.to_string(),
            name: name.to_string(),
            args: String::new(),
            ret: String::new(),
            start: i,
            end: i,
        };
        if let Some(args) = after.strip_suffix(" <unfinished ...>") {
            c.args = args.to_string();
            open.insert(pid, c);
        } else {
            let (args, ret) = split_ret(after);
            c.args = args.to_string();
            c.ret = ret.to_string();
            calls.push(c);
        }
    }
    calls.sort_by_key(|c| c.end);
    drop_no_op_cuts(&mut calls);
    let marks = calls
        .iter()
        .filter(|c| c.name == "openat")
        .filter_map(|c| {
            let p = c.paths().into_iter().next()?;
            let name = p.to_str()?.strip_prefix(MARKS)?.to_string();
            Some((name, c.end))
        })
        .collect();
    Trace {
        calls,
        marks,
        text: text.to_string(),
    }
}

/// Renames the ftruncates that leave a file as long as its writes in the
/// trace made it (the seal's end, with nothing prepared past it) to
/// `ftruncate-same`: no change. A file the trace did not write from its
/// start has an unknown length, and its cuts stay cuts.
fn drop_no_op_cuts(calls: &mut [Call]) {
    let mut len: HashMap<PathBuf, u64> = HashMap::new();
    for c in calls.iter_mut() {
        if let Some(p) = c.created() {
            len.insert(p, 0);
            continue;
        }
        let (Some(p), Some(end)) = (c.fd_path(), c.extent()) else {
            continue;
        };
        let Some(known) = len.get_mut(&p) else {
            continue;
        };
        if c.name == "ftruncate" {
            if end >= *known {
                c.name = "ftruncate-same".into();
            }
            *known = end;
        } else {
            *known = (*known).max(end);
        }
    }
}

/// `args) = ret` split at the last `) = `.
fn split_ret(s: &str) -> (&str, &str) {
    match s.rfind(") = ") {
        Some(at) => (&s[..at], s[at + 4..].trim()),
        None => (s.trim_end_matches(')'), "?"),
    }
}

impl Trace {
    /// The line of mark `name`.
    pub fn mark(&self, name: &str) -> usize {
        *self
            .marks
            .get(name)
            .unwrap_or_else(|| panic!("no mark {name} in the trace"))
    }

    /// The thread that left mark `name`.
    pub fn mark_thread(&self, name: &str) -> &str {
        let at = self.mark(name);
        &self
            .calls
            .iter()
            .find(|c| c.end == at)
            .expect("the mark's call")
            .pid
    }

    /// The calls named `name` (successful ones).
    pub fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Call> + 'a {
        self.calls.iter().filter(move |c| c.name == name && c.ok())
    }

    /// Files created whose name satisfies `keep`, with the call.
    pub fn creations(&self, keep: impl Fn(&Path) -> bool) -> Vec<(PathBuf, &Call)> {
        self.calls
            .iter()
            .filter(|c| c.ok())
            .filter_map(|c| c.created().map(|p| (p, c)))
            .filter(|(p, _)| keep(p))
            .collect()
    }

    /// The successful renames (any of the three calls), as (from, to, call).
    pub fn renames(&self) -> Vec<(PathBuf, PathBuf, &Call)> {
        self.calls
            .iter()
            .filter(|c| c.name.starts_with("rename") && c.ok())
            .filter_map(|c| match &c.paths()[..] {
                [from, to] => Some((from.clone(), to.clone(), c)),
                _ => None,
            })
            .collect()
    }

    /// The rename of `from` to `to`.
    pub fn rename_of(&self, from: &Path, to: &Path) -> &Call {
        self.renames()
            .into_iter()
            .find(|(f, t, _)| f == from && t == to)
            .map(|(_, _, c)| c)
            .unwrap_or_else(|| self.fail(&format!("no rename of {from:?} to {to:?}")))
    }

    /// The successful unlinks, as (path, call).
    pub fn unlinks(&self) -> Vec<(PathBuf, &Call)> {
        self.calls
            .iter()
            .filter(|c| c.name.starts_with("unlink") && c.ok())
            .filter_map(|c| c.paths().into_iter().next().map(|p| (p, c)))
            .collect()
    }

    /// The last change (write of bytes, cut) of `file` that started before
    /// line `at`, if any.
    pub fn last_change_before(&self, file: &Path, at: usize) -> Option<&Call> {
        self.calls
            .iter()
            .filter(|c| c.start < at && c.changes(file))
            .max_by_key(|c| c.end)
    }

    /// Whether an fsync or fdatasync of `file` started after line `after`
    /// and ended before line `before`.
    pub fn synced_between(&self, file: &Path, after: usize, before: usize) -> bool {
        self.calls
            .iter()
            .any(|c| c.is_sync_of(file) && c.start > after && c.end < before)
    }

    /// Asserts that every change of `file` that started before line `at`
    /// was followed by a sync of it that ended before `at`.
    pub fn assert_durable_before(&self, file: &Path, at: usize, what: &str) {
        self.assert_synced(file, at, at, what);
    }

    /// Asserts that every change of `file` that started before line
    /// `changed_before` was followed by a sync of it that ended before
    /// line `at`.
    pub fn assert_synced(&self, file: &Path, changed_before: usize, at: usize, what: &str) {
        let Some(w) = self.last_change_before(file, changed_before) else {
            return;
        };
        if !self.synced_between(file, w.end, at) {
            self.fail(&format!(
                "{what}: {} changed on line {} ({}), not synced before line {at}",
                file.display(),
                w.end + 1,
                w.name
            ));
        }
    }

    /// Asserts that the directory of `file` was synced after line `after`
    /// and before line `before`.
    pub fn assert_dir_synced(&self, file: &Path, after: usize, before: usize, what: &str) {
        let dir = file.parent().expect("a directory");
        if !self.synced_between(dir, after, before) {
            self.fail(&format!(
                "{what}: directory {} not synced between lines {} and {}",
                dir.display(),
                after + 1,
                before + 1
            ));
        }
    }

    /// Asserts that `tmp` was renamed to `to` with its bytes durable
    /// first, and the directory synced after, before line `before`;
    /// returns the rename.
    pub fn assert_replaced_durably(
        &self,
        tmp: &Path,
        to: &Path,
        before: usize,
        what: &str,
    ) -> &Call {
        let r = self.rename_of(tmp, to);
        self.assert_durable_before(tmp, r.start, &format!("{what} (before its rename)"));
        let wrote = self.last_change_before(tmp, r.start).is_some();
        assert!(wrote || self.fail_bool(&format!("{what}: nothing written to {tmp:?}")));
        self.assert_dir_synced(to, r.end, before, &format!("{what} (after its rename)"));
        r
    }

    /// Asserts that no write of prepared zeros to `file` covered bytes a
    /// write of records had put there before it started.
    pub fn assert_zeros_never_over_records(&self, file: &Path, what: &str) {
        let writes = self
            .calls
            .iter()
            .filter(|c| c.name == "pwrite64" && c.fd_path().as_deref() == Some(file));
        let range = |c: &Call| {
            c.extent()
                .map(|end| (end - c.ret.parse::<u64>().unwrap_or(0), end))
        };
        let mut records: Vec<(usize, (u64, u64))> = Vec::new();
        let mut zeros = 0;
        for c in writes {
            let Some((from, to)) = range(c) else { continue };
            if !c.writes_zeros() {
                records.push((c.end, (from, to)));
                continue;
            }
            zeros += 1;
            let under = records
                .iter()
                .find(|(end, (f, t))| *end < c.start && *f < to && from < *t);
            if let Some((end, r)) = under {
                self.fail(&format!(
                    "{what}: zeros written over {r:?} of {} (records written on line {}) on line {}",
                    file.display(),
                    end + 1,
                    c.start + 1
                ));
            }
        }
        assert!(zeros > 0 || self.fail_bool(&format!("{what}: no zeros prepared in {file:?}")));
    }

    /// Asserts that nothing wrote to or cut `file` after line `after`.
    pub fn assert_unchanged_after(&self, file: &Path, after: usize, what: &str) {
        if let Some(c) = self
            .calls
            .iter()
            .find(|c| c.start > after && c.changes(file))
        {
            self.fail(&format!(
                "{what}: {} changed on line {} by {}",
                file.display(),
                c.start + 1,
                c.name
            ));
        }
    }

    /// Panics with `why` and the trace's file calls on the files of the
    /// test (not the libraries the process loaded).
    pub fn fail(&self, why: &str) -> ! {
        let relevant: Vec<(usize, &str)> = self
            .text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.contains("/lib") && !l.contains("/proc/") && !l.contains("/sys/"))
            .collect();
        let shown: Vec<String> = relevant
            .iter()
            .rev()
            .take(400)
            .rev()
            .map(|(i, l)| format!("{:5} {l}", i + 1))
            .collect();
        panic!("{why}\ntrace (file calls):\n{}", shown.join("\n"));
    }

    /// `fail`, typed for `assert!(ok || t.fail_bool(..))`.
    pub fn fail_bool(&self, why: &str) -> bool {
        self.fail(why)
    }
}

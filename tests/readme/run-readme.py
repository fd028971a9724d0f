#!/usr/bin/env python3
"""README.md as a test: its command blocks run as written, on a fresh home.

Every fenced block whose info string is `sh` is a command block; every line
of it (comments and blank lines aside) is one command, and all of them run,
in order, in ONE bash session (so `cd`, `export` and variables carry over),
exactly as a person would paste them:

  * in a fresh copy of the parts of the checkout the README touches
    (README.md, Makefile, examples/) under this test's RAMP_HOME, with
    `build` a link to the build being tested (what `make build` makes), so
    `$PWD/build/src/cli` is this build's ramp;
  * a trailing comment that starts with "exit N" ("# exit 3: rolled back")
    states the command's exit status; any other command must exit 0. A
    mismatch fails the test, naming README.md:LINE, the command, its status
    and its output;
  * `make TARGET` lines are the build itself, which CI runs before this
    test: they are checked with `make -n TARGET` (the target exists and
    would run), not run again (`make test` would run this very test);
  * a command ending in `&` runs in the background; the test waits for
    every background command at the end (bounded) and fails if one is
    still running or failed;
  * the example's own build (examples/crawler/build.sh, run by the first
    `ramp release create`) uses the ccache of the person running the test
    (HOME is the test's own, so without CCACHE_DIR it would be a cold
    cache every run), keyed independently of the copy's path: the test
    measures the README, not a cold compile of the example;
  * the whole run is bounded (900 s, and by CTest): on an idle machine it
    takes about 3 minutes, most of it the canaries' analysis steps.

The README is written so that this holds any day of the week: nothing in
its path waits for a deployment window (prod's weekend freeze is shown, its
outcome is either way an exit 0).

Run by CTest (tests/readme/CMakeLists.txt) with RAMP_HOME, RAMP_SOURCE_DIR,
RAMP_BINARY_DIR and RAMP_BIN set.
"""
import os
import re
import shlex
import shutil
import subprocess
import sys

SRC = os.environ["RAMP_SOURCE_DIR"]
BIN_DIR = os.environ["RAMP_BINARY_DIR"]
HOME = os.environ["RAMP_HOME"]
README = os.path.join(SRC, "README.md")


def blocks(text):
    """(line number, command, expected exit) for every command of every sh block."""
    out = []
    lines = text.split("\n")
    inside = False
    for i, line in enumerate(lines, start=1):
        fence = re.match(r"^```(\S*)\s*$", line)
        if fence:
            if inside:
                inside = False
            else:
                inside = fence.group(1) == "sh"
                if not inside and fence.group(1) == "":
                    inside = None  # a plain block: skipped
            continue
        if not inside or not line.strip() or line.lstrip().startswith("#"):
            continue
        command, expected = split_comment(line)
        out.append((i, command.rstrip(), expected))
    return out


def split_comment(line):
    """The command and the exit status its trailing comment states (default 0)."""
    # A '#' that starts a comment: outside quotes, preceded by a blank.
    quote = None
    for j, c in enumerate(line):
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "#" and j > 0 and line[j - 1] in " \t":
            comment = line[j + 1:].strip()
            m = re.match(r"exit (\d+)\b", comment)
            return line[:j], int(m.group(1)) if m else 0
    return line, 0


def checkout():
    """A fresh copy of what the README touches, with `build` the tested build."""
    root = os.path.join(HOME, "checkout")
    os.makedirs(root)
    shutil.copy(README, root)
    shutil.copy(os.path.join(SRC, "Makefile"), root)
    ignore = shutil.ignore_patterns("build", "dist", ".build*", "node_modules")
    shutil.copytree(os.path.join(SRC, "examples"), os.path.join(root, "examples"), ignore=ignore)
    os.symlink(BIN_DIR, os.path.join(root, "build"))
    return root


def main():
    text = open(README, encoding="utf-8").read()
    commands = blocks(text)
    if len(commands) < 20:
        sys.exit(f"FAIL: only {len(commands)} commands found in the README's sh blocks")
    root = checkout()
    script = ["set -u", "__fail() { echo \"__README_FAIL__ $1 $2 $3\"; exit 1; }"]
    for line, command, expected in commands:
        make = re.match(r"^make\s+([\w-]+)\s*$", command.strip())
        if make:
            body = f"make -n {make.group(1)} >/dev/null"
        elif command.strip().endswith("&"):
            body = command.strip()[:-1].rstrip() + " &"
            expected = None
        else:
            body = command
        script.append(f"echo {shlex.quote(f'__README_LINE__ {line}: {command.strip()}')}")
        script.append(body)
        if expected is not None:
            script.append(f"__rc=$?; [ $__rc -eq {expected} ] || __fail {line} $__rc {expected}")
    # Every background command must end by itself (or have been stopped by the README).
    script.append("for __j in $(jobs -p); do for __i in $(seq 1 300); do kill -0 $__j 2>/dev/null || break; sleep 0.2; done; "
                  "kill -0 $__j 2>/dev/null && { echo \"__README_FAIL__ background job $__j still running\"; kill $__j; exit 1; }; "
                  "wait $__j || true; done")
    script.append("echo __README_DONE__")
    path = os.path.join(HOME, "readme.sh")
    open(path, "w").write("\n".join(script) + "\n")
    env = dict(os.environ)
    env["HOME"] = HOME  # nothing of the person running the test leaks in
    env.pop("RAMP_TOKEN", None)
    env.pop("RAMP_SERVER", None)
    env.setdefault("CCACHE_DIR", os.environ.get("CCACHE_DIR") or os.path.expanduser("~/.cache/ccache"))
    env["CCACHE_BASEDIR"] = root
    env["CCACHE_NOHASHDIR"] = "1"
    proc = subprocess.run(["bash", path], cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=900)
    log = proc.stdout
    open(os.path.join(HOME, "readme.log"), "w").write(log)
    if "__README_DONE__" in log and proc.returncode == 0:
        print(log)
        print(f"ok: {len(commands)} README commands ran as written")
        return
    # Name the failing README line and show what it printed.
    m = re.search(r"__README_FAIL__ (\d+) (\d+) (\d+)", log)
    tail = log[-4000:]
    if m:
        line, got, want = m.groups()
        cmd = next((c for l, c, _ in commands if l == int(line)), "?")
        sys.exit(f"FAIL README.md:{line}: `{cmd.strip()}` exited {got}, the README says {want}\n--- output ---\n{tail}")
    sys.exit(f"FAIL: the README's commands did not all run (exit {proc.returncode})\n--- output ---\n{tail}")


if __name__ == "__main__":
    main()

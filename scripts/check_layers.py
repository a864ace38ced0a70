"""The layering the README describes, checked (in `make test`):

- no cycle between the files of any crate, following their `use` lines (`crate::`, `super::`,
  `self::`), test modules left out;
- no file with more than 450 lines of non-test code;
- the domain crate (`core/`) depends on no Lambda, AWS SDK or tokio crate, directly or not
  (`cargo tree`).

Usage: check_layers.py            (from anywhere in the repository)
"""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRATES = ["core", "shared", "answer-fn", "event-fn", "token-fn", "calls-fn", "devtools"]
MAX_LINES = 450
CORE_FORBIDDEN = re.compile(r"^(lambda_http|lambda_runtime|aws-sdk-|aws-smithy|aws-config|tokio) ")


def non_test_lines(text):
    """The lines before the file's test module."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("#[cfg(test)]") and i + 1 < len(lines) and lines[i + 1].startswith("mod tests"):
            return lines[:i]
    return lines


def modules(src):
    """Module path (tuple) -> file, for a crate's library (and main.rs)."""
    found = {}
    for path in src.rglob("*.rs"):
        rel = path.relative_to(src)
        if rel.parts[0] == "bin":
            continue
        parts = list(rel.with_suffix("").parts)
        if parts in (["lib"], ["main"]):
            parts = []
        elif parts[-1] == "mod":
            parts = parts[:-1]
        found[tuple(parts)] = path
    return found


def use_paths(text):
    """Every path a file's `use` statements name, braces expanded."""
    code = "\n".join(non_test_lines(text))
    code = re.sub(r"//[^\n]*", "", code)
    for stmt in re.findall(r"(?:^|\n)\s*(?:pub(?:\([^)]*\))?\s+)?use\s+([^;]+);", code):
        yield from expand(re.sub(r"\s+", "", stmt))


def expand(path):
    if "{" not in path:
        yield path.split(" as ")[0]
        return
    head, rest = path.split("{", 1)
    inner = rest[: rest.rfind("}")]
    depth, item, items = 0, "", []
    for ch in inner:
        if ch == "," and depth == 0:
            items.append(item)
            item = ""
            continue
        depth += ch == "{"
        depth -= ch == "}"
        item += ch
    items.append(item)
    for it in items:
        if it and it != "self":
            yield from expand(head + it)
        elif it == "self":
            yield head.rstrip(":")


def resolve(path, here, mods):
    """The module a path lands in, from module `here`; None outside the crate."""
    parts = [p for p in path.split("::") if p]
    if not parts:
        return None
    if parts[0] == "crate":
        base, parts = [], parts[1:]
    elif parts[0] in ("super", "self"):
        base = list(here)
        while parts and parts[0] in ("super", "self"):
            if parts[0] == "super":
                base = base[:-1]
            parts = parts[1:]
    elif tuple(here) + (parts[0],) in mods:
        # 2018 paths: a child module named without `self::`.
        base = list(here)
    else:
        return None
    target = tuple(base)
    for part in parts:
        if target + (part,) in mods:
            target = target + (part,)
        else:
            break
    return target


def cycles(graph):
    """Strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def main():
    problems = []
    for crate in CRATES:
        src = ROOT / crate / "src"
        if not src.exists():
            continue
        mods = modules(src)
        graph = {}
        for module, path in mods.items():
            text = path.read_text()
            targets = {resolve(p, module, mods) for p in use_paths(text)}
            graph[module] = {t for t in targets if t is not None and t != module}
        for comp in cycles(graph):
            files = sorted(str(mods[m].relative_to(ROOT)) for m in comp)
            problems.append(f"{crate}: files import each other: {', '.join(files)}")
        for path in sorted(src.rglob("*.rs")):
            lines = len(non_test_lines(path.read_text()))
            if lines > MAX_LINES:
                problems.append(f"{path.relative_to(ROOT)}: {lines} lines of non-test code (at most {MAX_LINES})")
    tree = subprocess.run(
        ["cargo", "tree", "-q", "-p", "voice-core", "-e", "normal", "--prefix", "none"],
        cwd=ROOT, capture_output=True, text=True,
    )
    if tree.returncode != 0:
        problems.append(f"cargo tree -p voice-core: {tree.stderr.strip()}")
    for line in sorted(set(tree.stdout.splitlines())):
        if CORE_FORBIDDEN.match(line):
            problems.append(f"core (voice-core) depends on {line}")
    if problems:
        print("check_layers: FAILED")
        for p in problems:
            print("  " + p)
        sys.exit(1)
    print(f"check_layers: no file cycle in {', '.join(c for c in CRATES if (ROOT / c / 'src').exists())}; "
          f"no file over {MAX_LINES} lines of non-test code; core links no Lambda, AWS SDK or tokio crate")


main()

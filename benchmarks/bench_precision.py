"""Benchmark: precision of venvsense's findings on real public projects, next to deptry's and FawltyDeps' on the
same trees, in the same run, against findings labelled by hand.

    .venv/bin/python benchmarks/bench_precision.py [--real /work/real] [--only NAME,...] [--unlabelled]
                                                   [--markdown] [--refresh]

Each project of ``PROJECTS`` is a checkout of a public repository at the recorded commit in
``<real>/<owner>+<name>/src`` with a ``.venv`` holding its runtime dependencies (``uv pip install -e .``); see
``benchmarks/precision/README.md`` for how to make them. An absent tree is skipped, with how to get it.

The three tools, on each tree:

* ``venvsense check --format json`` from this checkout's ``.venv``;
* deptry, run by the project's own venv Python with deptry (only deptry and its own dependencies) on
  ``PYTHONPATH``, so that its metadata look-ups see the project's installed distributions, as deptry's
  documentation asks (installed in the project's venv), without changing that venv for the other tools;
* FawltyDeps with ``--pyenv .venv``.

Their findings are put in shared categories (``undeclared``, ``unused``, ``dev-only``, ``missing``; other
venvsense codes are their own category) and keyed by module or distribution; a label in
``benchmarks/precision/labels/<owner>+<name>.toml`` says whether the claim is true, with a reason.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the benchmark runs on 3.11+
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
LABELS = REPO / "benchmarks" / "precision" / "labels"
DEFAULT_REAL = Path(os.environ.get("VENVSENSE_REAL", "/work/real"))
TOOLS = ("venvsense", "deptry", "fawltydeps")
FAILURES: list[str] = []
DEFAULT_VENVSENSE = REPO / ".venv" / "bin" / "venvsense"


@dataclass(frozen=True)
class Project:
    repo: str  # owner/name
    commit: str
    kind: str
    venv: str = "uv pip install -e ."

    @property
    def slug(self) -> str:
        return self.repo.replace("/", "+")


PROJECTS: tuple[Project, ...] = (
    Project("pallets/flask", "2ac89889f4cc330eabd50f295dcef02828522c69", "web framework"),
    Project("encode/httpx", "ae1b9f66238f75ced3ced5e4485408435de10768", "HTTP client"),
    Project("scrapy/scrapy", "11079cb1c85b9e75a39a7269943c69d1a975d485", "crawler"),
    Project("encode/uvicorn", "e6c7ce791fc634b6eedee40e0d0207faa8a9aefd", "ASGI server"),
    Project("rq/rq", "aa666a8a60dbc5e8bb43f166cda869c67426a11a", "task queue"),
    Project("PyCQA/flake8", "48f2ca8bf7c15a2b8ff8be9463182e1e7c5e0c48", "linter"),
    Project("psf/black", "8947c48ef2077c3a301b03c1e814dc2e3f78436e", "formatter, CLI tool"),
    Project("httpie/cli", "5b604c37c6c67e18e7c3e9aee6c88a8c22b98345", "CLI tool (setup.cfg)"),
    Project("Textualize/rich", "42899d8a0a96b121a514516f4be9db44ff7aeaf3", "terminal library (Poetry)"),
    Project("mwaskom/seaborn", "f04b6cd5484267a0885d1fed068e99dff3a1b226", "data science"),
    Project(
        "wagtail/bakerydemo",
        "8e2b625755d8942412d5b7627b146a795933b8b2",
        "Django application (requirements files)",
        "uv pip install -r requirements.txt",
    ),
    Project("saleor/saleor", "723cd4eba87dfc72822ade45dc08a3caa548428d", "Django application (GraphQL e-commerce)"),
    Project("modelcontextprotocol/python-sdk", "57394b0548d1e2dc2dce8d67d84985769df3b8bb", "uv workspace"),
)


@dataclass(frozen=True)
class Finding:
    tool: str
    project: str
    code: str
    category: str
    name: str  # top-level module (import categories) or normalised distribution (unused, VS2xx)
    file: str  # relative to the tree
    line: int
    severity: str
    message: str


@dataclass
class Label:
    category: str
    name: str
    verdict: bool
    reason: str
    file: str | None = None
    lines: tuple[int, ...] = ()
    tool: str | None = None
    severity: str | None = None  # the label judges only findings at this severity ("an error on guarded code")
    uses: int = 0

    def matches(self, f: Finding) -> bool:
        if self.category != f.category or not fnmatch.fnmatchcase(f.name, self.name):
            return False
        if self.severity is not None and self.severity != f.severity:
            return False
        if self.file is not None and not fnmatch.fnmatchcase(f.file, self.file):
            return False
        if self.lines and f.line not in self.lines:
            return False
        return self.tool is None or self.tool == f.tool

    @property
    def specificity(self) -> tuple[int, int, int, int, int]:
        return (
            bool(self.lines),
            self.tool is not None,
            self.file is not None and "*" not in self.file,
            "*" not in self.name,
            self.file is not None,
        )


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# ---------------------------------------------------------------- running the tools


def run_json(args: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[str, str]:
    """The tool's standard output, and why it failed ('' when it ran)."""
    done = subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, check=False)
    failed = done.returncode not in (0, 1, 3)
    return done.stdout, (done.stderr.strip().splitlines() or ["?"])[-1] if failed else ""


_MODULE = re.compile(r"^'([^']+)'")


def venvsense_category(code: str, message: str, declared_set: str | None) -> str:
    if code == "VS302":
        return "undeclared"
    if code == "VS301":
        return "missing" if "declared as" in message or declared_set else "undeclared"
    if code == "VS303":
        return "unused"
    if code == "VS304":
        return "dev-only"
    return code


def venvsense_findings(project: Project, tree: Path, raw: dict[str, object]) -> list[Finding]:
    out: list[Finding] = []
    projects = raw.get("projects")
    assert isinstance(projects, list)
    for proj in projects:
        root = Path(proj["root"])
        for f in proj["findings"]:
            code, message = f["code"], f["message"]
            category = venvsense_category(code, message, f.get("set"))
            if category in ("undeclared", "missing", "dev-only"):
                m = _MODULE.match(message)
                name = (m.group(1) if m else f.get("package") or "").split(".")[0]
            else:
                name = normalise(f.get("package") or "")
            path = (root / f["file"]).resolve() if f.get("file") else root
            rel = os.path.relpath(path, tree)
            line = f["range"]["start"]["line"] if f.get("range") else 0  # 1-based in the JSON
            out.append(Finding("venvsense", project.repo, code, category, name, rel, line, f["severity"], message))
    return out


DEPTRY_CATEGORY = {"DEP001": "undeclared", "DEP003": "undeclared", "DEP002": "unused", "DEP004": "dev-only"}


def deptry_findings(project: Project, raw: list[dict[str, object]]) -> list[Finding]:
    out: list[Finding] = []
    for v in raw:
        error, loc = v["error"], v["location"]
        assert isinstance(error, dict) and isinstance(loc, dict)
        code = str(error["code"])
        category = DEPTRY_CATEGORY.get(code, code)
        name = str(v["module"])
        name = normalise(name) if category == "unused" else name.split(".")[0]
        out.append(
            Finding(
                "deptry",
                project.repo,
                code,
                category,
                name,
                str(loc["file"]),
                int(loc.get("line") or 0),
                "-",
                str(error["message"]),
            )
        )
    return out


def fawltydeps_findings(project: Project, raw: dict[str, list[dict[str, object]]]) -> list[Finding]:
    out: list[Finding] = []
    for key, category, code in (("undeclared_deps", "undeclared", "undeclared"), ("unused_deps", "unused", "unused")):
        for dep in raw.get(key, []):
            name = str(dep["name"])
            name = normalise(name) if category == "unused" else name.split(".")[0]
            refs = dep["references"]
            assert isinstance(refs, list)
            for ref in refs:  # one finding per import site / declaration, as the other two report
                out.append(
                    Finding(
                        "fawltydeps",
                        project.repo,
                        code,
                        category,
                        name,
                        str(ref["path"]),
                        int(ref.get("lineno") or 0),
                        "-",
                        f"{name} {category}",
                    )
                )
    return out


def collect(
    project: Project, tree: Path, real: Path, refresh: bool, venvsense: Path = DEFAULT_VENVSENSE
) -> list[Finding]:
    """Runs the three tools and returns their findings. venvsense runs every time (it is what is measured); the
    peers' output, pinned versions on a fixed tree, is reused from the last run unless ``refresh``."""
    cache = real / project.slug / "out"
    cache.mkdir(exist_ok=True)
    python = tree / ".venv" / "bin" / "python"
    commands: dict[str, tuple[list[str], dict[str, str] | None]] = {
        # no cache (`VENVSENSE_CACHE_DIR` empty): what this build says, never scans or a memo another build left
        "venvsense": ([str(venvsense), "check", "--format", "json", "."], {**os.environ, "VENVSENSE_CACHE_DIR": ""}),
        "deptry": (
            [str(python), "-m", "deptry", ".", "--json-output", str(cache / "deptry.json"), "--no-ansi"],
            {**os.environ, "PYTHONPATH": str(real / "tools" / "deptry-target")},
        ),
        "fawltydeps": ([str(real / "tools" / "venv" / "bin" / "fawltydeps"), "--pyenv", ".venv", "--json"], None),
    }
    findings: list[Finding] = []
    for tool, (args, env) in commands.items():
        target = cache / f"{tool}.json"
        failed = cache / f"{tool}.failed"
        if refresh or tool == "venvsense" or not (target.exists() or failed.exists()):
            target.unlink(missing_ok=True)
            failed.unlink(missing_ok=True)
            stdout, why = run_json(args, tree, env)
            if tool == "deptry" and not target.exists():  # a traceback exits 1, as findings do
                why = why or "no output"
            if why:
                failed.write_text(why)
            elif tool != "deptry":
                target.write_text(stdout)
        if failed.exists():
            FAILURES.append(f"{tool} could not check {project.repo}: {failed.read_text()}")
            continue
        raw = json.loads(target.read_text())
        if tool == "venvsense":
            findings += venvsense_findings(project, tree, raw)
        elif tool == "deptry":
            findings += deptry_findings(project, raw)
        else:
            findings += fawltydeps_findings(project, raw)
    return findings


# ---------------------------------------------------------------- labels


def load_labels(path: Path) -> list[Label]:
    if not path.exists():
        return []
    data = tomllib.loads(path.read_text())
    return [
        Label(
            category=str(d["category"]),
            name=str(d["name"]),
            verdict=bool(d["verdict"]),
            reason=str(d["reason"]),
            file=d.get("file"),
            lines=tuple(d.get("lines", ())),
            tool=d.get("tool"),
            severity=d.get("severity"),
        )
        for d in data.get("label", [])
    ]


def judge(finding: Finding, labels: Iterable[Label]) -> Label | None:
    """The most specific label that matches the finding (None: not labelled yet)."""
    best: Label | None = None
    for label in labels:
        if label.matches(finding) and (best is None or label.specificity > best.specificity):
            best = label
    return best


# a peer's category → the venvsense categories that report the same import or declaration as a problem ("missing":
# venvsense names the dev/extra set that declares it and says it is not installed)
COVERED_BY = {"undeclared": ("undeclared", "missing"), "unused": ("unused",), "dev-only": ("dev-only", "missing")}


@dataclass
class Tally:
    true: int = 0
    false: int = 0
    unlabelled: int = 0
    false_error: int = 0

    def add(self, verdict: bool | None, severity: str) -> None:
        if verdict is None:
            self.unlabelled += 1
        elif verdict:
            self.true += 1
        else:
            self.false += 1
            self.false_error += severity == "error"

    def precision(self) -> str:
        n = self.true + self.false
        return f"{100 * self.true / n:5.1f} %" if n else "    -  "

    def cell(self) -> str:
        return f"{self.precision()} ({self.true}/{self.true + self.false})"


@dataclass
class Report:
    per_tool: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    per_code: dict[tuple[str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))
    per_project: dict[tuple[str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))
    per_category: dict[tuple[str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))
    unlabelled: list[Finding] = field(default_factory=list)
    false_errors: list[tuple[Finding, Label]] = field(default_factory=list)
    missed: list[tuple[Finding, Label]] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


def evaluate(project: Project, findings: list[Finding], labels: list[Label], report: Report) -> None:
    ours: set[tuple[str, str, str]] = set()
    ours_names: set[tuple[str, str]] = set()
    for f in findings:
        if f.tool == "venvsense":
            ours.add((f.category, f.name, f.file))
            ours_names.add((f.category, f.name))
    missed_keys: set[tuple[str, str, str]] = set()
    for f in findings:
        label = judge(f, labels)
        verdict = None if label is None else label.verdict
        if label is not None:
            label.uses += 1
        for tally in (
            report.per_tool[f.tool],
            report.per_code[(f.tool, f.code)],
            report.per_project[(project.repo, f.tool)],
            report.per_category[(f.tool, f.category)],
        ):
            tally.add(verdict, f.severity)
        if f.tool == "venvsense" and f.severity == "error":
            report.errors[project.repo] += 1
        if label is None:
            report.unlabelled.append(f)
            continue
        if f.tool == "venvsense" and not verdict and f.severity == "error":
            report.false_errors.append((f, label))
        if f.tool != "venvsense" and verdict and f.category in COVERED_BY:
            covered = any(
                (c, f.name) in ours_names if f.category == "unused" else (c, f.name, f.file) in ours
                for c in COVERED_BY[f.category]
            )
            key = (f.category, f.name, f.file)
            if not covered and key not in missed_keys:
                missed_keys.add(key)
                report.missed.append((f, label))


# ---------------------------------------------------------------- output


def print_tables(report: Report, projects: Sequence[Project], markdown: bool) -> None:
    def row(cells: Sequence[str]) -> str:
        return "| " + " | ".join(cells) + " |" if markdown else "  ".join(f"{c:<26}" for c in cells)

    def head(cells: Sequence[str]) -> None:
        print(row(cells))
        if markdown:
            print("|" + "---|" * len(cells))

    print("\nPrecision by finding (true / labelled), all projects")
    head(["tool", "precision", "false", "false at error", "unlabelled"])
    for tool in TOOLS:
        t = report.per_tool[tool]
        print(
            row([tool, t.cell(), str(t.false), str(t.false_error) if tool == "venvsense" else "-", str(t.unlabelled)])
        )

    print("\nThe claims all three make (undeclared, unused, dev-only), together")
    head(["tool", "precision", "false"])
    for tool in TOOLS:
        shared = Tally()
        for (owner, category), tally in report.per_category.items():
            if owner == tool and category in COVERED_BY:
                shared.true += tally.true
                shared.false += tally.false
        print(row([tool, shared.cell(), str(shared.false)]))

    print("\nPer shared category")
    cats = sorted({c for _, c in report.per_category})
    head(["category", *TOOLS])
    for c in cats:
        print(row([c, *(report.per_category[(t, c)].cell() if (t, c) in report.per_category else "" for t in TOOLS)]))

    print("\nPer code")
    head(["tool", "code", "precision", "false at error"])
    for (tool, code), t in sorted(report.per_code.items()):
        print(row([tool, code, t.cell(), str(t.false_error) if tool == "venvsense" else "-"]))

    print("\nPer project (venvsense errors: its findings at error severity, true or false: what a new user sees red)")
    head(["project", *TOOLS, "venvsense errors"])
    for p in projects:
        if any((p.repo, t) in report.per_project for t in TOOLS):
            cells = [report.per_project[(p.repo, t)].cell() for t in TOOLS]
            print(row([p.repo, *cells, str(report.errors[p.repo])]))

    print(f"\nvenvsense findings false at error: {len(report.false_errors)}")
    for f, label in report.false_errors:
        print(f"  {f.project} {f.code} {f.file}:{f.line} {f.name}: {label.reason}")

    print(f"\nTrue problems a peer reported that venvsense did not: {len(report.missed)}")
    for f, label in report.missed:
        print(f"  {f.project} {f.tool} {f.code} {f.category} {f.name} {f.file}:{f.line}: {label.reason}")


def print_unlabelled(findings: Sequence[Finding]) -> None:
    groups: dict[tuple[str, str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        groups[(f.project, f.category, f.name)].append(f)
    print(f"\nUnlabelled findings: {len(findings)} in {len(groups)} keys")
    for (proj, cat, name), fs in sorted(groups.items()):
        tools = Counter(f.tool if f.tool != "venvsense" else f"vs:{f.severity}" for f in fs)
        files = sorted({f"{f.file}:{f.line}" for f in fs})
        sample = next((f.message for f in fs if f.tool == "venvsense"), fs[0].message)
        print(f"  {proj} [{cat}] {name} {dict(tools)} {', '.join(files[:4])}{' …' if len(files) > 4 else ''}")
        print(f"      {sample[:200]}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--real", type=Path, default=DEFAULT_REAL, help="where the checkouts are")
    parser.add_argument("--only", default="", help="comma-separated owner/name or owner+name")
    parser.add_argument("--unlabelled", action="store_true", help="list every finding not labelled yet")
    parser.add_argument("--markdown", action="store_true", help="tables in Markdown")
    parser.add_argument(
        "--refresh", action="store_true", help="run deptry and FawltyDeps again (else reuse their output)"
    )
    parser.add_argument(
        "--venvsense", type=Path, default=DEFAULT_VENVSENSE, help="the venvsense executable to measure (another build)"
    )
    args = parser.parse_args(argv)
    only = {o.replace("+", "/") for o in args.only.split(",") if o}
    report = Report()
    done: list[Project] = []
    for project in PROJECTS:
        if only and project.repo not in only:
            continue
        tree = args.real / project.slug / "src"
        if not (tree / ".venv" / "pyvenv.cfg").exists():
            print(
                f"skip {project.repo}: no {tree}/.venv — fetch github:{project.repo}, check out {project.commit} "
                f"into {tree} and make its .venv: benchmarks/precision/make_trees.sh {project.slug}@{project.commit}",
                file=sys.stderr,
            )
            continue
        findings = collect(project, tree, args.real, args.refresh, args.venvsense)
        labels = load_labels(LABELS / f"{project.slug}.toml")
        evaluate(project, findings, labels, report)
        unused = [lb for lb in labels if lb.uses == 0]
        for lb in unused:
            print(
                f"note: {project.repo}: label matches nothing: {lb.category} {lb.name} {lb.file or ''}", file=sys.stderr
            )
        done.append(project)
    print(f"projects: {len(done)}")
    for failure in FAILURES:
        print(f"  {failure}")
    print_tables(report, done, args.markdown)
    if args.unlabelled:
        print_unlabelled(report.unlabelled)
    else:
        print(f"\nunlabelled findings: {len(report.unlabelled)} (list them with --unlabelled)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

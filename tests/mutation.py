"""The mutation check of trust-critical code.

mutmut changes the code one thing at a time (a comparison flipped, `and` for `or`, a statement deleted, a
constant moved by one, a string changed…) and runs the tests that reach the changed function; a change that
no test notices (a surviving mutant) is behaviour that no test pins down. The scope is the code that counts
votes, signs buttons, closes polls and stores consultation answers; the tests are the fast, SQLite-level ones
listed in pyproject's `[tool.mutmut]` (plus one PostgreSQL test: the lock between a close and a vote).

Run from the project root, PostgreSQL up as for the suite (a few minutes; not part of `pytest`):

    .venv/bin/python -m tests.mutation              # a fresh mutmut run on SCOPE, then the score per module
    .venv/bin/python -m tests.mutation --score      # the score of the last run only
    .venv/bin/mutmut show NAME                      # what a surviving mutant changed

It exits non-zero when a module has fewer than 90 % of its mutants killed. A mutant that makes the tests hang
counts as killed (the suite fails it through its per-test timeout). A mutant that no test can tell from the
original (an equivalent mutant) is excluded where it stands with `# pragma: no mutate` and a reason.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

THRESHOLD = 0.90
MAX_CHILDREN = 2  # the test processes mutmut runs side by side

# module → (file, mutant name patterns). The consultation path is its submitting and changing functions.
SCOPE: dict[str, tuple[str, list[str]]] = {
    "storage/ballots.py": ("storage/ballots.py", ["storage.ballots.*"]),
    "bot/polls/service.py": ("bot/polls/service.py", ["bot.polls.service.*"]),
    "bot/actions.py": ("bot/actions.py", ["bot.actions.*"]),
    "consultation submission (storage)": (
        "storage/submissions.py",
        [
            f"storage.submissions.x_{name}__mutmut_*"
            for name in ("submit", "receipt_hash", "new_submission_id", "submission_by_receipt", "answers_of")
        ],
    ),
    "consultation submission (flow)": (
        "bot/consultations/flow.py",
        [
            f"bot.consultations.flow.x_{name}__mutmut_*"
            for name in ("_submit", "pieces_of", "answers_from_rows", "on_receipt", "_draft_for_change")
        ],
    ),
}
KILLED = {1, 3}  # a test failed (3: pytest's internal error, as mutmut counts it)
TIMEOUT = {-24, 24, 152, 255, 36, -9}  # out of CPU time or killed for it: the tests hang


@dataclass
class Score:
    killed: int = 0
    timeout: int = 0
    survivors: list[str] = field(default_factory=list)  # survived, or reached by no test

    @property
    def total(self) -> int:
        return self.killed + self.timeout + len(self.survivors)

    @property
    def ratio(self) -> float:
        return (self.killed + self.timeout) / self.total if self.total else 0.0


def run_mutmut(max_children: int) -> None:
    """A fresh run: mutants generated again from the current code, every mutant in scope tested."""
    shutil.rmtree("mutants", ignore_errors=True)
    patterns = [pattern for _, patterns in SCOPE.values() for pattern in patterns]
    mutmut = Path(sys.executable).with_name("mutmut")
    subprocess.run([str(mutmut), "run", "--max-children", str(max_children), *patterns], check=True)


def scores() -> dict[str, Score]:
    results: dict[str, Score] = {}
    for module, (path, patterns) in SCOPE.items():
        meta = Path("mutants") / f"{path}.meta"
        exit_codes: dict[str, int | None] = json.loads(meta.read_text())["exit_code_by_key"]
        score = results[module] = Score()
        for name, code in sorted(exit_codes.items()):
            if not any(fnmatch.fnmatch(name, pattern) for pattern in patterns):
                continue
            if code in KILLED:
                score.killed += 1
            elif code in TIMEOUT:
                score.timeout += 1
            else:
                score.survivors.append(name)
    return results


def report(results: dict[str, Score]) -> bool:
    print(f"\n{'module':<36} {'mutants':>7} {'killed':>7} {'hang':>5} {'left':>5} {'score':>7}")
    for module, s in results.items():
        print(f"{module:<36} {s.total:>7} {s.killed:>7} {s.timeout:>5} {len(s.survivors):>5} {s.ratio:>7.1%}")
    for module, s in results.items():
        if s.survivors:
            print(f"\nnot killed in {module} (mutmut show NAME):")
            print("\n".join(f"  {name}" for name in s.survivors))
    below = [module for module, s in results.items() if s.ratio < THRESHOLD]
    if below:
        print(f"\nbelow {THRESHOLD:.0%}: {', '.join(below)}")
    return not below


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutation", description=__doc__.split("\n\n")[0])
    parser.add_argument("--score", action="store_true", help="only score the last run")
    parser.add_argument("--max-children", type=int, default=MAX_CHILDREN)
    options = parser.parse_args()
    if not options.score:
        run_mutmut(options.max_children)
    return 0 if report(scores()) else 1


if __name__ == "__main__":
    sys.exit(main())

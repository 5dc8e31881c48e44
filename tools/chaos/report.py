"""One line per scenario, and the table docs/chaos.md shows."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Outcome:
    name: str
    passed: bool
    seconds: float
    sent: int = 0  # webhooks (or, for the fuzz, requests) sent
    acked: int = 0
    applied: int = 0  # distinct acknowledged events found on their contract's timeline
    lost: int = 0
    duplicates: int = 0  # events applied twice
    answers: Mapping[int, int] = field(default_factory=dict)  # fuzz: answers by status code
    note: str = ""  # what the fault was
    details: tuple[str, ...] = ()  # why it failed, or what happened (verbose)

    def line(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        if self.answers:
            codes = " ".join(f"{code or 'none'}:{n}" for code, n in sorted(self.answers.items()))
            numbers = f"requests {self.sent:5d}  5xx {self.server_errors}  by status {codes}"
        else:
            numbers = (
                f"sent {self.sent:4d}  acked {self.acked:4d}  applied {self.applied:4d}  "
                f"lost {self.lost}  duplicates applied {self.duplicates}"
            )
        return f"{verdict}  {self.name:<17} {numbers}  ({self.seconds:.0f} s) {self.note}"

    @property
    def server_errors(self) -> int:
        return sum(n for code, n in self.answers.items() if code >= 500 or code == 0)


def render(outcomes: Iterable[Outcome], verbose: bool = False) -> str:
    lines = []
    for outcome in outcomes:
        lines.append(outcome.line())
        if verbose or not outcome.passed:
            lines += [f"      {detail}" for detail in outcome.details]
    return "\n".join(lines)


def markdown_table(outcomes: Iterable[Outcome]) -> str:
    rows = [
        "| scenario | sent | acked | applied | lost | duplicates applied | result | seconds |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for o in outcomes:
        verdict = "pass" if o.passed else "**FAIL**"
        if o.answers:
            rows.append(
                f"| {o.name} | {o.sent} requests | - | - | - | - | {verdict}, "
                f"{o.server_errors} 5xx | {o.seconds:.0f} |"
            )
        else:
            rows.append(
                f"| {o.name} | {o.sent} | {o.acked} | {o.applied} | {o.lost} | {o.duplicates} "
                f"| {verdict} | {o.seconds:.0f} |"
            )
    return "\n".join(rows)

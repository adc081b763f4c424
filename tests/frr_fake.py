"""A stand-in for the router's shell in offline tests: answers vtysh commands from recorded samples.

    run = FakeVtysh({"show bgp summary json": sample("summary-8.4-per-family.json")})
    RouterProbe(run, "udm", "172.29.51.1").sessions(); run.calls, run.round_trips

It takes what RouterProbe sends over SSH: one ``vtysh -c '<command>'``, or several separated by
``echo '<mark>'`` in one remote command (RouterProbe.prefetch), and answers as a shell would: each
vtysh's output, then the echoed mark. A command it has no answer for is a test error when asked
alone; in a batch it answers nothing, which fails only if the probe goes on to use that answer.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Mapping


class FakeVtysh:
    def __init__(self, answers: Mapping[str, str], render: Callable[[str], str] | None = None) -> None:
        self.answers, self.render = answers, render or (lambda text: text)
        self.calls: list[str] = []      # every vtysh command asked, in order
        self.round_trips = 0            # remote commands run (SSH sessions on a real router)

    def __call__(self, line: str) -> str:
        self.round_trips += 1
        steps = _commands(line)
        batch = len(steps) > 1
        out = []
        for argv in steps:
            if argv[:2] == ["vtysh", "-c"] and len(argv) == 3:
                self.calls.append(argv[2])
                if not batch:
                    return self.render(self.answers[argv[2]])
                answer = self.answers.get(argv[2])
                out.append("" if answer is None else self.render(answer))
            elif argv[:1] == ["echo"] and len(argv) == 2:
                out.append(argv[1] + "\n")
            else:
                raise AssertionError(f"not something RouterProbe sends: {line!r}")
        return "".join(out)


def _commands(line: str) -> list[list[str]]:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";")
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    for token in lexer:
        if token == ";":
            commands.append([])
        else:
            commands[-1].append(token)
    return [c for c in commands if c]

from __future__ import annotations


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001
    from .test_guides import BROWSER_STEPS, NOT_RUN

    if NOT_RUN:
        terminalreporter.section("guide blocks marked not-run")
        for where, reason in NOT_RUN:
            terminalreporter.write_line(f"{where}: {reason}")
    if BROWSER_STEPS:
        terminalreporter.section("guide steps done in chromium by the runner")
        for where, what in BROWSER_STEPS:
            terminalreporter.write_line(f"{where}: {what}")

"""Foundation: the CLI's exit codes and usage errors."""

import subprocess
import sys

from checker.cli import EXIT_USAGE, main


def test_unknown_subcommand_is_usage_error_with_suggestion(capsys):
    assert main(["bounds"]) == EXIT_USAGE  # a typo of 'bound'
    err = capsys.readouterr().err
    assert "invalid choice" in err and "did you mean 'bound'" in err
    assert "Traceback" not in err


def test_no_subcommand_prints_help_and_exits_2(capsys):
    assert main([]) == EXIT_USAGE
    assert "COMMAND" in capsys.readouterr().err


def test_python_dash_m_entry_point():
    out = subprocess.run([sys.executable, "-m", "checker", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("checker ")

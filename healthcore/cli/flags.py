"""The library's messages speak of Python parameters and functions; the CLI's speak of its
flags and commands. :func:`in_flags` rewords the first as the second."""

from __future__ import annotations

PHRASES = (
    ("with bad_when and which a good one with good_when",
     "with --bad-when and which a good one with --good-when"),
    ("say what they mean with good_when or bad_when",
     "say what they mean with --good-when or --bad-when"),
    ("give one of their ids as account_id", "give one of their ids with --account"),
    ("give one of them as row", "give one of them with --row"),
    ("(give row to explain another)", "(--row N explains another)"),
    ("force=True", "--force"),
    ("tiers=True", "--tiers"),
    ("encoding='latin-1'", "--encoding latin-1"),
    ("give the format (fmt)", "give --input-format"),
    ("(HistoryStore.delete_run)", "(healthcore history --delete --as-of DATE --history DB)"),
    ("evaluate(ruleset, accounts, history=DB)",
     "healthcore evaluate RULESET ACCOUNTS --history DB"),
    ("deliver(store, registry)", "healthcore deliver --history DB"),
    ("load its module with extra_plugins", "give --plugin MODULE"),
    ("ruleset=NAME", "--ruleset NAME"),
    ("the history needs a SQLite file path", "--history needs a SQLite file path"),
    ("as in history.db or sqlite:", "as in --history history.db or sqlite:"),
    ("(record runs in a history and give it)", "(record runs with evaluate --history DB)"),
    ("in a history: give history too", "in a history: give --history DB too"),
)
"""Each phrase of the library's messages, and what the CLI says instead."""


def in_flags(message: str) -> str:
    """``message``, from the library, with its parameters and functions named as the CLI's
    flags and commands."""
    for library, command_line in PHRASES:
        message = message.replace(library, command_line)
    return message

"""`answerdesk mail ingest`: replies from a mailbox export land in their conversations; mail
that answers none of ours is listed and skipped."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from assistant.mail.links import link_key, reply_token
from assistant.settings import Settings
from assistant.store import Customer, NewCase, SqlCaseStore
from server.cli import app

runner = CliRunner()


def test_an_mbox_export_brings_the_replies_into_their_cases(tmp_path: Path) -> None:
    env = {"ANSWERDESK_DATA_DIR": str(tmp_path / "data")}
    store = SqlCaseStore.from_settings(Settings(data_dir=tmp_path / "data"))
    conversation = store.create_conversation(Customer()).id
    store.add_message(conversation, "customer", "Exports hang at 90 %")
    case = store.open_case(conversation, NewCase({"issue": "Exports hang"}, 0.5, "reports")).id
    store.claim(case, "alice")
    store.resolve(case, "alice", "Export one year at a time.")
    token = reply_token(link_key(None, tmp_path / "data"), conversation)
    mbox = tmp_path / "replies.mbox"
    mbox.write_text(
        "From kim@example.com Fri Dec  5 09:00:00 2026\n"
        f"From: kim@example.com\nTo: help+{token}@tallybook.example\nSubject: Re: Resolved\n\n"
        "It still hangs, even for one year.\n\n> Export one year at a time.\n\n"
        "From spam@example.net Fri Dec  5 09:05:00 2026\n"
        "From: spam@example.net\nTo: help@tallybook.example\nSubject: Offer\n\nCheap watches\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["mail", "ingest", str(mbox)], env=env)
    assert result.exit_code == 0, result.output
    assert f"conversation {conversation} (case reopened)" in result.stdout
    assert "skipped message 2" in result.output and "1 replies stored, 1 skipped" in result.output
    assert store.transcript(conversation)[-1].text == "It still hangs, even for one year."
    assert store.case(case).status == "open"  # not solved after all: back in the queue
    store.close()
    nothing = tmp_path / "stranger.eml"
    nothing.write_text("From: a@example.net\nTo: b@example.net\nSubject: x\n\nHello\n")
    refused = runner.invoke(app, ["mail", "ingest", str(nothing)], env=env)
    assert refused.exit_code == 1 and "no valid reply" in refused.output

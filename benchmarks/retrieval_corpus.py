"""The index the retrieval benchmark measures: the sample knowledge base enlarged with
synthetic chunks.

Synthetic chunks are support-like text from a word list (random kind, product area and
audience) whose vectors are random perturbations of real chunk vectors: embedding 100k real
texts would take over an hour here. They are added through the indexer, as a sync adds
documents (vectors and keyword index first, one manifest commit), so `answer()` sees one
ordinary index.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from assistant.index import LiveIndex
from assistant.ports import Vectors
from assistant.settings import Settings
from assistant.types import Chunk, Document, SourceKind
from benchmarks.retrieval_report import console
from ingest.sync import Indexer

NOISE = 1.0  # perturbation norm relative to the unit vector: cosine to the source ≈ 0.71


def _words(text: str) -> tuple[str, ...]:
    return tuple(w.strip() for w in text.split(",") if w.strip())


AREAS = _words(
    "billing, invoicing, banking, security, api, troubleshooting, expenses, getting-started, "
    "integrations, account, mobile, reports"
)
AUDIENCES = (["all"], ["all"], ["all"], ["paid", "admin"], ["paid", "trial"], ["paid"],
             ["admin"], ["trial", "free"])  # fmt: skip
KINDS: tuple[SourceKind, ...] = ("article", "case", "faq")
KIND_WEIGHTS = (0.55, 0.3, 0.15)  # documents; articles have several chunks each
NOUNS = _words(
    "invoice, payment, receipt, expense, bank feed, statement, report, workspace, user, role, "
    "plan, subscription, card, refund, credit note, customer, supplier, tax rate, VAT number, "
    "currency, export, import, template, reminder, webhook, API key, token, integration, "
    "category, mileage claim, approval, transaction, reconciliation rule, attachment, "
    "password, login, two-factor code, mobile app, notification, dashboard, quote, "
    "purchase order, project, timesheet, payout, balance, ledger"
)
VERBS = _words(
    "create, edit, delete, export, import, connect, disconnect, approve, reconcile, archive, "
    "restore, send, download, upload, assign, enable, disable, rename, merge, schedule, match, "
    "refund, verify, reset"
)
PROBLEMS = _words(
    "does not appear, shows the wrong total, fails with an error, is stuck as pending, "
    "was sent twice, is greyed out, stopped syncing, has the wrong date, cannot be saved, "
    "times out"
)
STATES = _words(
    "active, verified, up to date, connected, approved, enabled, saved, in the right currency, "
    "assigned to you, not archived"
)
PLANS = _words("Free, Starter, Pro, Business, Enterprise")
UNITS = _words("minutes, hours, days, business days, weeks")
MENUS = _words(
    "Settings, Billing, Banking, Invoices, Expenses, Reports, Team, Integrations, Profile, "
    "Developers"
)
SECTIONS = _words(
    "Before you start, Step by step, If this doesn't work, Limits, Permissions, "
    "What happens next, Troubleshooting, On the mobile app"
)


def _sentence(rng: random.Random) -> str:
    noun, other, verb = rng.choice(NOUNS), rng.choice(NOUNS), rng.choice(VERBS)
    templates = (
        f"To {verb} a {noun}, go to **{rng.choice(MENUS)} → {other.title()}** and click "
        f"**{verb.title()}**.",
        f"If the {noun} {rng.choice(PROBLEMS)}, check that the {other} is {rng.choice(STATES)} "
        "and try again.",
        f"On the {rng.choice(PLANS)} plan you can {verb} up to {rng.randint(2, 500)} {noun}s "
        "per month.",
        f"The {noun} is updated within {rng.randint(1, 72)} {rng.choice(UNITS)} after you "
        f"{verb} the {other}.",
        f"Only the workspace Owner or an Admin can {verb} a {noun} linked to a {other}.",
        f"The customer reported that the {noun} {rng.choice(PROBLEMS)} after they tried to "
        f"{verb} the {other}.",
        f"We asked them to {verb} the {other} again, which fixed the {noun}.",
        f"Exports include every {noun} with its {other}, as CSV or PDF.",
    )
    return rng.choice(templates)


def _paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(_sentence(rng) for _ in range(sentences))


def _chunk_id(n: int) -> str:
    return hashlib.blake2b(f"synthetic-chunk-{n}".encode(), digest_size=12).hexdigest()


@dataclass
class Synthetic:
    documents: list[tuple[Document, list[Chunk]]] = field(default_factory=list)
    chunks: list[Chunk] = field(default_factory=list)


def synthetic_documents(count: int, start: int, rng: random.Random) -> Synthetic:
    """`count` chunks in documents numbered from `start`: multi-chunk articles, one-chunk FAQs
    and cases, random product area and audience."""
    out = Synthetic()
    n = start
    while len(out.chunks) < count:
        kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
        noun, verb = rng.choice(NOUNS), rng.choice(VERBS)
        if kind == "article":
            doc_id, title = f"article:synthetic/{n:07d}", f"{verb.title()} a {noun} ({n})"
            parts = rng.randint(1, 6)
        elif kind == "faq":
            doc_id, title = f"faq:synthetic-{n:07d}", f"How do I {verb} a {noun}? ({n})"
            parts = 1
        else:
            doc_id = f"case:SYN-{n:07d}"
            title = f"{noun.capitalize()} {rng.choice(PROBLEMS)} (SYN-{n:07d})"
            parts = 1
        parts = min(parts, count - len(out.chunks))
        sections = ["", *rng.sample(SECTIONS, k=parts - 1)] if kind == "article" else [""]
        metadata: dict[str, Any] = {
            "product_area": rng.choice(AREAS),
            "audience": list(rng.choice(AUDIENCES)),
            "tags": rng.sample([w.replace(" ", "-") for w in NOUNS], k=3),
            "locale": "en",
        }
        url = "" if kind == "case" else f"https://help.tallybook.example/synthetic/{n}"
        updated = f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        texts = [_paragraph(rng, rng.randint(3, 6)) for _ in range(parts)]
        chunk_meta = {**metadata, "kind": kind, "title": title, "url": url, "updated_at": updated}
        chunks = [
            Chunk(_chunk_id(n * 8 + i), doc_id, i, text, section, dict(chunk_meta))
            for i, (text, section) in enumerate(zip(texts, sections, strict=True))
        ]
        document = Document(doc_id, kind, title, "\n\n".join(texts), url, updated,
                            "synthetic", metadata)  # fmt: skip
        out.documents.append((document, chunks))
        out.chunks += chunks
        n += 1
    return out


def synthetic_vectors(base: Vectors, count: int, rng: np.random.Generator) -> Vectors:
    """Unit vectors near randomly chosen real ones: normalise(v + NOISE · g/√d), float32."""
    dim = base.shape[1]
    picked = base[rng.integers(0, len(base), size=count)]
    noise = rng.standard_normal((count, dim), dtype=np.float32) * np.float32(NOISE / dim**0.5)
    vectors = picked + noise
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors, dtype=np.float32)


def chroma_client(settings: Settings) -> Any:
    """The embedded Chroma client the index uses (same path and settings: the same instance)."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(
        path=str((settings.index_dir / "chroma").resolve()),
        settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False),
    )


def real_vectors(settings: Settings, collection: str) -> Vectors:
    got = chroma_client(settings).get_collection(collection).get(include=["embeddings"])
    return np.asarray(got["embeddings"], dtype=np.float32)


def enlarge(
    indexer: Indexer, live: LiveIndex, synthetic: Synthetic, vectors: Vectors
) -> dict[str, float]:
    """Add the synthetic chunks through the indexer (vectors and keyword index first, then one
    manifest commit makes them live) and switch the live index to them."""
    total = len(synthetic.chunks)
    keyword_chunks = indexer.manifest.chunk_count() + total
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TaskProgressColumn(), TimeElapsedColumn(), TimeRemainingColumn())  # fmt: skip
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(f"adding {total:,} synthetic vectors to Chroma", total=total)

        def progress(done: int, _: int) -> None:
            bar.update(task, completed=done)
            if done == total:
                description = (
                    f"rebuilding the keyword index ({keyword_chunks:,} chunks), committing"
                )
                bar.update(task, description=description)

        added = indexer.add_embedded(synthetic.documents, vectors, progress)
    live.refresh()
    return {
        "chroma_add_seconds": added.vector_seconds,
        "chroma_add_per_s": total / added.vector_seconds if added.vector_seconds else 0.0,
        "keyword_build_seconds": added.keyword_seconds,
        "manifest_commit_seconds": added.commit_seconds,
    }

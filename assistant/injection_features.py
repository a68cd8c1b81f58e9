"""What counts as text addressed to a model: the features `assistant.safety` scores.

Each feature is a family of patterns over folded text (lower case, no accents, look-alike
letters as Latin) with a weight; a sentence whose features add up to `THRESHOLD` addresses a
model. Strong features (an override verb aimed at the model's instructions, a chat-template
token, a new identity) weigh 1 alone; weak ones (a role header, words addressed to "the AI", a
request to tell customers something) need a second. The vocabulary is built from parts — an
override verb, then a *target*: an instruction noun qualified as the model's own ("your
rules", "the guidance you were given", "everything above") — so that a paraphrase still
matches; a bare phrase list would not.

The corpora in tests/security/corpus (attacks, and ordinary messages that look close) are the
specification: a change here is measured against both.
"""

from __future__ import annotations

import re

THRESHOLD = 1.0


def _any(*alternatives: str) -> str:
    return "(?:" + "|".join(alternatives) + ")"


# --- The parts ------------------------------------------------------------------------------

VERB = _any(
    r"(?:ignore|disregard|forget|override|bypass|discard|abandon|neglect|overlook|drop|skip"
    r"|scrap|ditch|break|violate|never ?mind|set aside|put aside|pay no attention to"
    r"|(?:do not|don't) pay (?:any )?attention to|stop (?:following|obeying)|cancel|erase|wipe"
    r"|throw away|get rid of)(?: about)?",
    r"(?:no longer|do not|don't|must not|mustn't|never|needn't|need not|no need to)"
    r" (?:have to |need to )?(?:follow|obey|respect|comply with|stick to|adhere to|apply|use)",
    r"(?:without|stop) (?:applying|following|using|obeying|respecting)(?: any of)?",
    r"put (?=[^.!?\n]{0,40}\bon hold\b)",
)
# Milder verbs ("reset", "change") count only with a qualifier that is the model's own.
VERB_MILD = (
    r"(?:reset|clear|delete|remove|rewrite|replace|change|modify|turn off|switch off|disable"
    r"|lift|suspend|relax|loosen)"
)
NOUN = (
    r"(?:instructions?|prompts?|rules|guidelines|guidance|directions|directives?|commands"
    r"|orders|constraints|guardrails|restrictions|limitations|programming|training"
    r"|configuration|system (?:message|prompt)|context|conditioning|policies|policy|filters"
    r"|conversation|messages|chat|input)"
)
QUAL_OWN = (
    r"(?:your|system|safety|content|moderation|built-in|underlying|developer|original|initial"
    r"|(?:company|developers?|creators?|operators?|owners?|system)'s)"
)
QUAL = _any(
    QUAL_OWN,
    r"previous|prior|above|earlier|preceding|the above|all|any|every|hidden|secret|internal"
    r"|exact|full|complete|entire",
)
# What may follow "above"/"before" when they end a noun phrase ("the rules above, and"), not
# when they start one ("the text above the payment link").
_ENDS = (
    r"(?=\s*(?:$|[.,;:!?)\"'\]]|(?:this|these|my|here|and|in|word|verbatim|line|message|is|are"
    r"|was|were|have|has|starting|beginning)\b))"
)
POSTQUAL = _any(
    r"(?:that |which )?you(?:'ve| have| were| had)? (?:been )?(?:normally |usually |always )?"
    r"(?:given|told|received|got|taught|programmed|instructed|follow(?:ing)?|have)",
    r"(?:in|from) your (?:setup|configuration|prompt|instructions|system|context)",
    r"you (?:started|began) with",
    r"you(?: were| are| have been)? (?:configured|set up|trained|built|loaded) with",
    r"(?:placed|put|imposed|set) (?:on|upon|for) you",
    r"(?:that |which )?(?:was |were )?used to (?:set you up|configure you|create you|build you"
    r"|instruct you|train you|program you)",
    r"(?:above|before|so far|until now|up to now)" + _ENDS,
)
# The model's context as a whole: "everything above", "what you were told".
CONTEXT = _any(
    r"(?:everything|anything|all(?: of)?(?: (?:that|this|it))?|the text|the words|the content"
    r"|the messages?|the conversation|what (?:you (?:were|have been) told|was said|came))"
    r"\s*(?:that )?(?:is |was |were |came |comes |you (?:read|saw|were told) )?"
    r"(?:written |said |stated |mentioned |listed )?"
    r"(?:above|before(?: (?:this|my|that))?|earlier|previously|so far|up to now|until now)"
    r"(?=\s*(?:$|[.,;:!?)\"'\]]|(?:this|these|my|here|and|starting|beginning|in|word|verbatim"
    r"|line|message|paragraph|point|sentence|text)\b))",
    r"everything you (?:know|were told|have been told)",
    r"(?:what|whatever|anything|everything)(?: \w+){0,3} (?:told|taught|instructed|gave"
    r"|programmed) you\b",
    r"(?:whatever|what) you(?:'ve| have| were| had)? (?:been )?(?:told|given|taught)",
)
TARGET = _any(rf"{QUAL}\s+(?:\w+\s+){{0,2}}{NOUN}", rf"{NOUN}\s+{POSTQUAL}", CONTEXT)
SAFEGUARDS = (
    r"(?:(?:safety|content) (?:checks|filters|rules|measures|polic(?:y|ies))|safeguards"
    r"|guardrails)"
)
VOID = (
    r"(?:cancel+ed|void|obsolete|revoked|invalid|irrelevant|outdated|lifted|disabled|replaced"
    r"|superseded|updated|changed|suspended|a test|a drill|an exercise|a joke|fake|wrong"
    r"|written by|gone|withdrawn|deleted|removed|off|over|null|expired|erased|wiped|reset"
    r"|overridden|(?:no longer|not) (?:valid|binding|in effect|in force))\b"
)
PEOPLE = (
    r"(?:the |all |every |each |any )?(?:users?|customers?|clients?|readers?|visitors?|people"
    r"|everyone|everybody)\b"
)
SECRET = (
    r"(?:passwords?|passcodes?|card numbers?|credit card(?: numbers?| details)?|card details"
    r"|cvv2?|cvc2?|security codes?|pin(?: codes?)?|one-time (?:pass)?codes?|2fa codes?"
    r"|verification codes?|login details|credentials|bank (?:login|details|password)|iban"
    r"|api keys?|secret keys?|admin password|mot de passe|passwort|contrasena|senha|haslo)"
)
AI = (
    r"(?:ai|a\.i\.|llm|gpt|chatgpt|chatbot|bot|language model|(?:ai |virtual |support )?assistant"
    r"|model)"
)
PERSONA = (
    r"(?:unrestricted|unfiltered|uncensored|jailbroken|evil|rogue|different|new|dan|ai|a\.i\."
    r"|chatbot|bot|language model|llm|gpt|linux|terminal|hacker|model|\w+(?:bot|gpt))\b"
)
LIMITS = (
    r"(?:restrictions|rules|limits|limitations|filters|guidelines|guardrails|censorship"
    r"|boundaries|content polic(?:y|ies)|safety polic(?:y|ies))"
)
# The same in other languages (French, German, Spanish, Portuguese, Polish, Italian, Dutch).
VERB_INTL = (
    r"(?:ignor(?:e|ez|er|a|ar|ad|en|ier|iere|ieren|ierst|uj|ujcie)|zignoruj(?:cie)?|oublie(?:z|r)?"
    r"|ne (?:tiens|tenez) (?:pas|plus) compte|fais abstraction|vergiss|vergessen sie|missachte"
    r"|olvida(?:r)?|olvide(?:n)?|omite|descarta|haz caso omiso|no hagas caso|esquec(?:a|e|er)"
    r"|desconsidere|desconsidera|zapomnij(?:cie)?|pomin(?:cie)?|nie zwracaj uwagi|odrzuc"
    r"|dimentica|trascura|negeer|vergeet)"
)
NOUN_INTL = _any(
    r"consignes|regles|directives|indications|anweisung(?:en)?|regeln|vorgaben|befehle"
    r"|richtlinien|instrucciones|reglas|indicaciones|directrices|normas|instrucoes|regras"
    r"|diretrizes|orientacoes|instrukcj\w*|polecen\w*|zasad\w*|regul\w*|wytyczn\w*"
    r"|istruzioni|regole|instructies|regels|instructions",
    r"tout ce (?:qu'on t'a dit|qui precede)|ce qu'on t'a dit",
    r"alles (?:bisherige|vorherige|obige|was (?:man )?dir gesagt)",
    r"todo lo (?:anterior|que te dijeron)",
    r"tudo (?:o que )?(?:foi dito|acima|que te disseram)",
    r"wszystko,? (?:powyzej|co ci powiedziano)",
    r"tutto (?:quello che ti hanno detto|sopra)",
)
SYSTEM_PROMPT = (
    r"(?:system ?prompt|prompt (?:du |de |do |del |di )?(?:systeme|sistema)|prompt systemowy"
    r"|systeemprompt|systemanweisungen|system message|system instructions|pre-?prompt"
    r"|meta-?prompt)"
)
REVEAL = (
    r"\b(?:print|show|reveal|display|repeat|output|dump|leak|echo|list|quote|copy|paste|recite"
    r"|spell out|summari[sz]e|translate|share|expose|disclose|write (?:out|down)|tell me"
    r"|give me|send me|what(?: \w+)? (?:is|are|was|were|does|did)|what's|whats|affiche\w*"
    r"|montre\w*|revele\w*|repete\w*|zeig\w*|gib|wiederhol\w*|verrat\w*|muestra\w*|revela\w*"
    r"|repit\w*|imprim\w*|mostr\w*|pokaz|wyswietl|powtorz|ujawnij|wypisz|rivela|ripeti"
    r"|stampa|toon|herhaal|dime)\b"
)
LEAK_TARGET = _any(
    SYSTEM_PROMPT + r"\b",
    r"your (?:prompt|configuration|config|context(?: window)?|programming|directives)",
    r"your (?:\w+ )?(?:instructions|guidelines)(?=\s*(?:$|[.,;:!?)]|into\b|to me\b|in full\b"
    r"|verbatim\b|word for word\b|exactly\b|back\b))",
    r"(?:initial|original|hidden|secret|internal|first|full|exact|complete|entire|underlying)"
    r" (?:prompt|instructions|rules|guidelines|message|configuration|context)",
    rf"{NOUN} {POSTQUAL}",
    CONTEXT,
    rf"{NOUN} (?:were|have|had|did) you (?:been )?(?:given|told|receiv\w*|get|got)",
    r"the first (?:message|line|sentence|prompt)s? (?:of|in) (?:this|the|our) "
    r"(?:conversation|chat|context)",
    r"(?:tus|vos|deine|ihre|suas|seus|twoje|swoje|le tue|je) (?:instrucciones|instructions"
    r"|anweisungen|instrucoes|instrukcje|istruzioni|instructies|prompt)",
)
HIDDEN = (
    r"(?:<!--|display\s*:\s*none|visibility\s*:\s*hidden|opacity\s*:\s*0(?![.\d]*[1-9])"
    r"|font-size\s*:\s*0|color\s*[:=]\s*[\"']?(?:white|#fff)|\shidden[\s>=]|aria-hidden|\[//\]: #)"
)

# --- The features ---------------------------------------------------------------------------
# (name, weight, alternatives). "Carrying" features, alone on a short line (a header such as
# "### System"), lend their weight to the next sentence.

FEATURES: list[tuple[str, float, tuple[str, ...]]] = [
    (
        "override",
        1.0,
        (
            rf"\b{VERB}\b[^.!?\n]{{0,50}}?{TARGET}",
            rf"{TARGET}[^.!?\n]{{0,60}}?\b{VERB}\s+(?:them|it|those|these|that)\b",
            rf"\b(?:whatever|regardless of what|no matter what) (?:your|the) (?:\w+ )?{NOUN}"
            r" (?:says?|tells? you|states?)",
        ),
    ),
    (
        "override (mild verb)",
        1.0,
        (
            rf"\b{VERB_MILD}\b[^.!?\n]{{0,30}}?{QUAL_OWN}\s+(?:\w+\s+){{0,2}}{NOUN}",
            rf"\b{VERB_MILD}\b[^.!?\n]{{0,30}}?{NOUN}\s+{POSTQUAL}",
        ),
    ),
    ("override (other language)", 1.0, (rf"\b{VERB_INTL}\b[^.!?\n]{{0,50}}?\b{NOUN_INTL}",)),
    (
        "override (weak, other language)",
        0.5,
        (
            rf"\b{VERB_INTL}\b\s+(?:ce qui precede|ci-dessus|lo anterior|o acima|das obige"
            r"|powyzsze)",
        ),
    ),
    (
        "override (weak)",
        0.5,
        (
            rf"\b{VERB}\b\s+(?:(?:my|our|the)\s+(?:\w+\s+)?{NOUN}|the (?:article|document"
            r"|passages?|knowledge base|help center|page|question|context|above)\b)",
        ),
    ),
    (
        "instructions declared void",
        1.0,
        (
            rf"(?:{TARGET}|{SAFEGUARDS})[^.!?\n]{{0,30}}?\b(?:(?:no longer|do not|don't|does not"
            r"|doesn't) (?:appl|matter|count)|(?:is|are|was|were|have been|has been)"
            rf" (?:now |hereby |just |only |no longer )?{VOID})",
            rf"\b(?:consider|treat|regard) (?:{TARGET}|{SAFEGUARDS}) (?:as )?{VOID}",
        ),
    ),
    (
        "new instructions",
        1.0,
        (
            r"^[\W_]*(?:new|updated|revised|real|actual|additional|important|urgent|secret"
            r"|hidden|true)\s+(?:instructions?|task|rules|directives?|orders|prompt)\s*(?:[:\-]|$)",
            r"\byour (?:real|true|new|actual) (?:task|job|goal|purpose|role|instructions?) is\b",
            r"\b(?:treat|consider|regard|take|follow) (?:this|the following|these (?:words|lines)"
            r"|what follows|the text below|this (?:text|note|message)) as (?:your |a |an |the )?"
            r"(?:\w+ ){0,3}(?:instructions?|commands?|orders?|rules|prompt|directives?)\b",
            r"\b(?:this|the following|these) (?:is|are) your (?:new |real |only )?(?:instructions?"
            r"|rules|task|orders)\b",
            r"\byou (?:now )?(?:take|follow|obey|accept) (?:orders|instructions|commands)"
            r" (?:only )?from\b",
        ),
    ),
    (
        "chat-template token",
        1.0,
        (
            r"<\|\s*/?\s*\w+\s*\|>|\[/?inst\]|<</?sys>>",
            r"</?\s*(?:system|passages?|question|instructions?|assistant|im_start|im_end)\s*>",
        ),
    ),
    (
        "role header",
        0.6,
        (
            r"^[\W_]*(?:system|assistant|ai|bot|developer|instructions?|new instructions|prompt"
            r"|user|human|model|response|attention)\s*(?::|$)",
            r"^#+\s*(?:system|instructions?|assistant|user|response|prompt|new instructions"
            r"|new task)\s*$",
            r"\bsystem (?:override|update|notice|note|alert|instruction)\b",
            r"\b(?:admin|developer|system) override\b",
        ),
    ),
    (
        "addresses a model",
        0.6,
        (
            r"^[\W_]*(?:dear |hey |hi |hello |attention,? |note (?:to|for) (?:the |any |all )?"
            r"|important (?:update |note |message )?for (?:the |any |all )?)?"
            rf"{AI}(?:s| systems?| assistants?| models?)?(?: (?:reading|processing|parsing"
            r"|summari[sz]ing) (?:this|these)\w*)?\s*[:,]",
            rf"\b(?:if|when) you(?: are|'re) an? {AI}\b",
            rf"\b{AI}s? (?:reading|processing|parsing) this\b",
            rf"\b(?:note|message|instructions?|update) (?:to|for) (?:the |any |all )?{AI}s?\b",
        ),
    ),
    (
        "tells customers",
        0.5,
        (
            rf"\b(?:tell|inform|advise|instruct|direct|redirect|remind|warn|convince|urge)\s+{PEOPLE}",
        ),
    ),
    (
        "steers the reply",
        0.5,
        (
            r"\b(?:always|never) (?:say|tell|answer|reply|respond|mention|claim|state|recommend"
            r"|include)\b",
            r"\b(?:end|begin|start|finish) (?:each|every|your|all|the)(?: \w+)? (?:answers?"
            r"|repl(?:y|ies)|responses?|messages?)\b",
            r"\binstead of answering\b|\bwhen you (?:answer|reply|respond)\b",
            r"\b(?:do not|don't|never) answer (?:the|this|their|any|his|her) (?:question|customer"
            r"|user)",
            r"^[\W_]*instead,? (?:tell|say|reply|respond|write|answer|give|send|inform)\b",
            r"\bmake up an? answer\b|\bmake (?:something|things|it|stuff) up\b",
            r"\b(?:answer|reply|respond) (?:from|using|with) your own\b",
            r"\b(?:respond|reply|answer) to (?:every|each|all|any) (?:\w+ )?(?:questions?"
            r"|messages?|customers?|users?) with\b",
            r"\bthe (?:correct|right|only|proper) (?:reply|answer|response) (?:here )?is\b",
        ),
    ),
    (
        "speaks of the assistant",
        0.5,
        (
            r"\b(?:the|this) (?:assistant|ai|bot|chatbot|model) (?:must|should|will|shall|has to"
            r"|needs to|may only)\b",
            r"\byou (?:obey|comply with)\b|\bobey (?:the user|me|only)\b|\byou will now\b",
            r"\bi will now ignore\b",
        ),
    ),
    (
        "grants permission",
        0.6,
        (
            r"\b(?:has|have|hereby) (?:authori[sz]ed|permitted|cleared|instructed) you to\b",
            r"\byou (?:are|have been) (?:now |hereby )?(?:authori[sz]ed|permitted|cleared"
            r"|allowed) to (?:ignore|bypass|skip|break|disregard|override|reveal|share"
            r"|disclose)\b",
            r"\bit(?: is|'s) (?:fine|ok|okay|allowed|acceptable) (?:for you )?to (?:break|ignore"
            r"|bypass|skip|disregard|override)\b",
        ),
    ),
    (
        "answer dictated",
        1.0,
        (
            r"\b(?:reply|respond|answer|say|output)\s+(?:only|exactly|solely)\s+(?:with\b|['\"«]"
            r"|the words?\b|yes\b|no\b)",
            r"\b(?:reply|respond|answer|say)\s+with\s+(?:only|exactly)\b|\band nothing else\b",
        ),
    ),
    (
        "answer dictated (other language)",
        0.6,
        (
            r"\b(?:repon(?:ds|dez) (?:uniquement|seulement)|antworte (?:nur|ausschliesslich)"
            r"|respond[ae] (?:solo|solamente|unicamente|apenas|somente)|odpowi(?:edz|adaj) tylko"
            r"|rispondi solo|antwoord alleen)\b",
        ),
    ),
    (
        "new identity",
        1.0,
        (
            r"\byou(?:'re| are) now (?:called |named |no longer |free\b|dan\b|unrestricted"
            r"|jailbroken|in \w+ mode\b)",
            # A bare name ("you are now RefundBot."), not a state ("you are now signed in.").
            r"\byou(?:'re| are) now (?!(?:\w+(?:ing|ed)|able|ready|done|set|live|online|offline"
            r"|good|ok|okay|all|back|here|there|in|on|out|up|an?|the|my|your|our)\b)[a-z]\w*"
            r"(?: \d+)?\s*(?:[.,;:!]|$)",
            r"\bfrom now on,? (?:you|your)\b|\bfrom (?:this moment|this point|today|here)"
            r"(?: on)?,? you (?:will|are|must|shall|should)\b",
            r"\b(?:pretend|imagine) (?:that )?you(?:'re| are| were)?\b",
            r"(?:^|\byou |\bplease |\bnow )[\W_]*pretend to be\b",
            r"\byou(?:'re| are) no longer (?:bound|restricted|limited|required|obliged|subject)\b",
            r"\b(?:act|behave|respond|answer|reply) as (?:if you were |though you were )?"
            rf"(?:an? |the )?(?:\w+ )?{PERSONA}",
            rf"\b(?:simulate|emulate|impersonate|become) (?:an? |the )?(?:\w+ )?{PERSONA}",
            r"\brole-?play(?:ing)? as\b|\bplay the role of\b|\bdo anything now\b",
            r"\b(?:enter|enable|activate|switch to|you(?:'re| are) (?:now )?in|(?:the )?"
            r"(?:assistant|ai|bot|model) is (?:now )?in) (?:\w+ )?(?:developer|god|dan|jailbreak"
            r"|maintenance|debug|admin|unrestricted|sudo|test) mode\b",
            rf"\bstop being (?:an? |the )?(?:\w+ )?{AI}\b",
            r"\byou (?:have been|were|are being|got) (?:upgraded|converted|turned|changed|switched"
            r"|reprogrammed|unlocked|promoted) (?:to|into)\b",
            rf"\bif you (?:had|have|were) (?:no|without|free of) {LIMITS}",
        ),
    ),
    (
        "new identity (other language)",
        0.6,
        (
            r"\b(?:tu es maintenant|vous etes maintenant|du bist (?:jetzt|nun|ab sofort)|sie sind"
            r" (?:jetzt|nun)|(?:a partir de )?ahora eres|(?:a partir de agora )?voce (?:agora )?e"
            r"|(?:od teraz )?jestes teraz|od teraz jestes|ora sei|je bent nu|vanaf nu ben je)\b",
        ),
    ),
    (
        "given a role",
        0.6,
        (
            r"\byou(?:'re| are) now (?!\w+ing\b)(?:an? |the |my )?\w+",
            r"\byou(?:'re| are) no longer (?:an? |the )",
        ),
    ),
    (
        "calls it an AI",
        0.6,
        (
            r"\byou(?:'re| are) (?:now |no longer )?(?:an? |the )?(?:\w+ ){0,2}(?:ai|a\.i\."
            r"|assistant|chatbot|bot|language model|llm|model|assistent|asistente|assistente"
            r"|asystent)\b",
        ),
    ),
    (
        "role play",
        0.6,
        (r"\blet'?s (?:role ?-?play|play a game|pretend|play pretend)\b|\brole-?play(?:ing)?\b",),
    ),
    ("cast in a role", 0.4, (r"\byou(?:'re| are) (?:my|an?|the) \w+(?: \w+)? (?:and|who|that)\b",)),
    (
        "without limits",
        0.5,
        (
            rf"\b(?:no|without|free of|free from) (?:any )?{LIMITS}\b",
            r"\b(?:sans|ohne|sin|sem|bez|senza|zonder) (?:limites|einschrankungen|restricciones"
            r"|restricoes|ograniczen|limiti|beperkingen|regles|regeln|reglas|regras|zasad)\b",
            r"\bjailbr(?:eak|oken)\b",
        ),
    ),
    ("system prompt", 0.7, (rf"\b{SYSTEM_PROMPT}\b",)),
    (
        "asks for the prompt",
        1.0,
        (
            rf"{REVEAL}[^.!?\n]{{0,40}}?\b{LEAK_TARGET}",
            rf"\b(?:what|which) (?:\w+ )?{NOUN} (?:were|have|had|did) you (?:been )?(?:given|told"
            r"|receiv\w*|get|got)",
        ),
    ),
    ("prompt or context targeted", 0.6, (rf"\b{LEAK_TARGET}",)),
    (
        "asks for a secret",
        0.5,
        (
            r"\b(?:give me|tell me|send me|show me|reveal|donne(?:z)?-moi|dis-moi|gib mir|zeig mir"
            rf"|dame|dime|da-me|diga-me|daj mi|podaj)\b[^.!?\n]{{0,30}}?\b{SECRET}",
        ),
    ),
    (
        "asks customers for secrets",
        1.0,
        (
            r"\b(?:ask|request|require|collect|obtain)\s+(?:for\s+)?(?:the\s+|each\s+|every\s+"
            r"|all\s+)?(?:users?|customers?|clients?|visitors?|people)(?:'s|s')?\s+(?:(?:for|to"
            r" (?:send|give|provide|share|enter|type|confirm|reply with|tell))\s+(?:their\s+|the"
            rf"\s+|your\s+)?)?(?:\w+\s+)?{SECRET}",
        ),
    ),
    ("mentions a secret", 0.4, (rf"\b{SECRET}\b",)),
    ("hidden from readers", 0.4, (HIDDEN,)),
]
CARRIES = frozenset(
    {"role header", "chat-template token", "addresses a model", "new instructions", "role play"}
)
# Only this feature can be negated ("never ask customers for their password").
NEGATABLE = frozenset({"asks customers for secrets"})
NEGATED = re.compile(r"\b(?:never|not|n't|no one|nobody|don't|won't|cannot)\b[^,;:.!?]*$")
COMPILED: list[tuple[str, float, re.Pattern[str]]] = [
    (name, weight, re.compile("|".join(alternatives), re.M))
    for name, weight, alternatives in FEATURES
]

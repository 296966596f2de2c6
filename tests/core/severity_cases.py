"""Subjects and how the protocol must read them (docs/protocol.md, Severity in the subject), for
tests/core/test_severity.py.

Each case is (id, subject, result, levels); a found case has exactly one level.
"""

from typing import NamedTuple

from deskside.core.severity import Result

FOUND = Result.FOUND
MISSING = Result.MISSING
INVALID = Result.INVALID
AMBIGUOUS = Result.AMBIGUOUS


class Case(NamedTuple):
    id: str
    subject: str
    result: Result
    levels: tuple[int, ...] = ()


# The examples the protocol was first written with, each also in docs/protocol.md, Severity in
# the subject.
DESIGN_EXAMPLES = [
    Case("design-severity-1", "Severity 1", FOUND, (1,)),
    Case("design-severity-level-2", "Severity level 2", FOUND, (2,)),
    Case("design-sev-dash-3", "Sev-3", FOUND, (3,)),
    Case("design-SEV4", "SEV4", FOUND, (4,)),
    Case("design-parens-severity-colon-1", "(severity: 1)", FOUND, (1,)),
    Case("design-severity-hash-3", "Severity #3", FOUND, (3,)),
    Case("design-ernst-2", "Ernst 2", FOUND, (2,)),
    Case("design-ernstniveau-2", "Ernstniveau 2", FOUND, (2,)),
    Case("design-severite-accents-1", "Sévérité 1", FOUND, (1,)),
    Case("design-severite-plain-1", "Severite 1", FOUND, (1,)),
    Case("design-gravite-3", "Gravité 3", FOUND, (3,)),
    Case("design-niveau-de-gravite-3", "Niveau de gravité 3", FOUND, (3,)),
    Case("design-schweregrad-4", "Schweregrad 4", FOUND, (4,)),
    Case("design-sev-12-runs-on", "Sev 12", MISSING),
    Case("design-seveso-2-longer-word", "Seveso 2", MISSING),
    Case("design-severity-5-invalid", "Severity 5", INVALID, (5,)),
    Case("design-severity-0-invalid", "Severity 0", INVALID, (0,)),
    Case("design-brackets-S2", "[S2]", FOUND, (2,)),
    Case("design-parens-S2", "(S2)", FOUND, (2,)),
    Case("design-leading-S2-dash", "S2 - export fails", FOUND, (2,)),
    Case("design-leading-S2-colon", "S2: ...", FOUND, (2,)),
    Case("design-our-S3-bucket", "Our S3 bucket is slow", MISSING),
    Case("design-P1", "P1", MISSING),
    Case("design-priority-1", "Priority 1", MISSING),
    Case("design-prio-2", "Prio 2", MISSING),
    Case("design-sev-1-and-sev-3", "Sev 1 ... Sev 3", AMBIGUOUS, (1, 3)),
]

REPLY_PREFIXES = [
    Case("re-severity", "Re: Severity 2 - export fails", FOUND, (2,)),
    Case("fwd-sev", "Fwd: Sev 1 production down", FOUND, (1,)),
    Case("FW-SEV3", "FW: SEV3 slow monthly report", FOUND, (3,)),
    Case("AW-schweregrad", "AW: Schweregrad 2 - Export hängt", FOUND, (2,)),
    Case("WG-schweregrad", "WG: Schweregrad 4: Frage zur Dokumentation", FOUND, (4,)),
    Case("antw-ernst", "Antw: Ernst 3 - rapport traag", FOUND, (3,)),
    Case("doorst-ernstniveau", "Doorst: Ernstniveau 1 productie ligt plat", FOUND, (1,)),
    Case("TR-gravite", "TR: Gravité 2 - export impossible", FOUND, (2,)),
    Case("RE-space-colon-severite", "RE : Sévérité 1 : application indisponible", FOUND, (1,)),
    Case("re-leading-S2", "Re: S2 - export fails", FOUND, (2,)),
    Case("fwd-leading-S1", "Fwd: S1: site down", FOUND, (1,)),
    Case("RE-space-colon-leading-S3", "RE : S3 : lenteur générale", FOUND, (3,)),
    Case("re-numbered-leading-S4", "Re[2]: S4 - how to export", FOUND, (4,)),
    Case("re-re-fwd-leading-S2-pipe", "Re: Re: Fwd: S2 | invoices missing", FOUND, (2,)),
    Case("AW-WG-leading-S1", "AW: WG: S1 - Totalausfall", FOUND, (1,)),
    Case("antw-doorst-leading-S3", "Antw: Doorst: S3 - zoeken traag", FOUND, (3,)),
    Case("re-re-no-spaces-leading-S2", "Re:Re:S2: export", FOUND, (2,)),
    Case("TR-RE-leading-S4", "TR : RE : S4 : question sur la doc", FOUND, (4,)),
    Case("ref-leading-S2", "Réf : S2 - panne partielle", FOUND, (2,)),
    Case("antwort-leading-S2", "Antwort: S2 - Probleme ADB", FOUND, (2,)),
    Case("re-no-tag", "Re: Export fails", MISSING),
    Case("re-S3-bucket-not-leading-tag", "Re: S3 bucket is slow", MISSING),
]

ENGLISH = [
    Case("en-start", "Severity 1: production application down for all users", FOUND, (1,)),
    Case("en-end-en-dash", "Export to Excel fails – severity 2", FOUND, (2,)),
    Case("en-middle", "Invoices module: severity level 3, workaround available", FOUND, (3,)),
    Case("en-end-question", "How do I configure SSO? Severity 4", FOUND, (4,)),
    Case("en-bracketed-sev", "[Sev 2] Reports time out after upgrade", FOUND, (2,)),
    Case("en-parens-sev-end", "Login broken (Sev 1)", FOUND, (1,)),
    Case("en-shouting", "URGENT!!! SEV1 - nobody can log in", FOUND, (1,)),
    Case("en-colon-no-space", "severity:2 export job stuck", FOUND, (2,)),
    Case("en-equals", "Severity=3 dashboard widgets missing", FOUND, (3,)),
    Case("en-underscore", "Severity_4 typo in ops doc", FOUND, (4,)),
    Case("en-abbreviation-dot", "Sev. 2 - slow search", FOUND, (2,)),
    Case("en-hash-no-space", "sev#1 outage", FOUND, (1,)),
    Case("en-spaced-dashes", "Severity - 2 - printing fails", FOUND, (2,)),
    Case("en-colon-level-word", "Severity: Level 3 - minor layout issue", FOUND, (3,)),
    Case("en-sev-level", "Sev level 2 - exports", FOUND, (2,)),
    Case("en-sev-dash-level-dash", "Sev-level-1 outage", FOUND, (1,)),
    Case("en-number-in-parens", "Severity (2) - export", FOUND, (2,)),
    Case("en-all-caps", "SEVERITY 1 - PRODUCTION DOWN", FOUND, (1,)),
    Case("en-odd-case", "sEvErItY 3 odd casing", FOUND, (3,)),
    Case("en-comma-after-digit", "Severity 2, export fails", FOUND, (2,)),
    Case("en-full-stop-after-digit", "Export fails. Severity 2.", FOUND, (2,)),
    Case("en-with-priority-first", "Priority 1 - Severity 2", FOUND, (2,)),
    Case("en-with-priority-slash", "Severity 1 / Priority 1: site down", FOUND, (1,)),
    Case("en-P2-and-sev", "P2 / Sev 3 - report layout", FOUND, (3,)),
    Case("en-lvl", "Severity lvl 4 - doc question", FOUND, (4,)),
    Case("en-hex-error-code", "Severity 2 - error code 0x80070005", FOUND, (2,)),
    Case("en-version-after-tag", "Sev 3 - build 4.2.1 slow", FOUND, (3,)),
    Case("en-ticket-ref-and-tag", "[CCS-1042] Severity 2 export", FOUND, (2,)),
    Case("en-double-colon-space", "Severity :: 3 - search", FOUND, (3,)),
    Case("en-tag-then-users", "Sev 2 - 3 users affected", FOUND, (2,)),
    Case("en-prod-underscore", "PROD_SEV1 alert from monitoring", FOUND, (1,)),
]

DUTCH = [
    Case("nl-start", "Ernst 1: applicatie ligt plat", FOUND, (1,)),
    Case("nl-end", "Rapport wordt niet gegenereerd - ernst 3", FOUND, (3,)),
    Case("nl-parens", "Vraag over installatie (Ernstniveau 4)", FOUND, (4,)),
    Case("nl-ernst-niveau-split", "Ernst niveau 2 - export traag", FOUND, (2,)),
    Case("nl-caps-colon", "ERNST: 2 - facturen ontbreken", FOUND, (2,)),
    Case("nl-ernstigheid", "Ernstigheid 3 - zoekfunctie traag", FOUND, (3,)),
    Case("nl-prioriteit-not-severity", "Prioriteit 1: alles ligt plat", MISSING),
    Case("nl-prioriteit-and-ernst", "Prioriteit 1 - Ernst 2 - export", FOUND, (2,)),
    Case("nl-brackets", "[Ernst 1] productie down", FOUND, (1,)),
    Case("nl-middle-colon", "Inloggen lukt niet, ernst: 2, sinds vanochtend", FOUND, (2,)),
    Case("nl-ernstig-adjective", "Ernstig probleem met 2 gebruikers", MISSING),
    Case("nl-ernstige-storing", "Ernstige storing in module 3", MISSING),
    Case("nl-ernst-and-young", "Ernst & Young audit 2", MISSING),
]

FRENCH = [
    Case("fr-start", "Sévérité 2 : export impossible", FOUND, (2,)),
    Case("fr-end-caps", "Application en panne - SÉVÉRITÉ 1", FOUND, (1,)),
    Case("fr-gravite-plain", "Gravite 3 - lenteur du module factures", FOUND, (3,)),
    Case(
        "fr-niveau-de-severite", "Question sur la configuration (niveau de sévérité 4)", FOUND, (4,)
    ),
    Case("fr-niveau-de-gravite-colon", "Niveau de gravite: 2 - impression bloquée", FOUND, (2,)),
    Case("fr-priorite-not-severity", "Priorité 1 : panne totale", MISSING),
    Case("fr-gravite-space-colon", "Gravité : 1 — plus aucun accès", FOUND, (1,)),
    Case("fr-end-lower", "Demande d'évolution, sévérité 4", FOUND, (4,)),
    Case("fr-brackets", "[Gravité 2] Erreur lors de l'export", FOUND, (2,)),
    Case("fr-half-accented", "Severité 3 - affichage", FOUND, (3,)),
    Case("fr-gravite-niveau", "Gravité niveau 3 - mise en page", FOUND, (3,)),
    Case("fr-version", "Mise à jour 4.1 échoue", MISSING),
    Case("fr-wrong-accent-grave", "Gravitè 3 - export", FOUND, (3,)),
    Case("fr-wrong-accent-circumflex", "Sêvèrité 2 : lenteur", FOUND, (2,)),
]

GERMAN = [
    Case("de-start", "Schweregrad 1: Produktion steht", FOUND, (1,)),
    Case("de-end", "Export bricht ab - Schweregrad 2", FOUND, (2,)),
    Case("de-parens-colon", "Frage zur Dokumentation (Schweregrad: 4)", FOUND, (4,)),
    Case("de-schwere", "Schwere 3 - Suche langsam", FOUND, (3,)),
    Case("de-prioritaet-not-severity", "Priorität 1 - alles down", MISSING),
    Case("de-caps-en-dash", "SCHWEREGRAD 2 – Rechnungen fehlen", FOUND, (2,)),
    Case("de-stufe", "Schweregrad Stufe 3 - Layoutfehler", FOUND, (3,)),
    Case("de-dash-colon", "Schweregrad-2: Drucken nicht möglich", FOUND, (2,)),
    Case("de-schwerer-fehler", "Schwerer Fehler im Export", MISSING),
    Case("de-schwere-stoerung", "Schwere Störung seit 2 Tagen", MISSING),
    Case("de-middle", "Login geht nicht (Schweregrad 1) seit heute", FOUND, (1,)),
]

SHORT_FORM = [
    Case("short-brackets-start", "[S1] Production down", FOUND, (1,)),
    Case("short-parens-end", "Export fails (S2)", FOUND, (2,)),
    # Decision: curly braces are brackets too.
    Case("short-braces", "{S3} layout glitch", FOUND, (3,)),
    Case("short-brackets-spaces", "[ S4 ] how to export", FOUND, (4,)),
    Case("short-brackets-lower", "[s2] export", FOUND, (2,)),
    Case("short-parens-dash", "(S-3) menu slow", FOUND, (3,)),
    Case("short-brackets-middle", "Export fails [S2] since Monday", FOUND, (2,)),
    # Decision: S0 and S5-S9 are product names (Galaxy S9), never invalid severities.
    Case("short-brackets-S5-not-a-tag", "[S5] question", MISSING),
    Case("short-brackets-S0-not-a-tag", "[S0] test", MISSING),
    Case("short-parens-S10", "Crash on (S10)", MISSING),
    Case("short-galaxy-S9", "App crashes on Galaxy (S9)", MISSING),
    Case("short-S3-bucket-in-brackets", "[S3 bucket] access denied", MISSING),
    Case("short-S3-bucket-in-parens", "Access denied (S3 bucket)", MISSING),
    Case("short-leading-S5-not-a-tag", "S5 - export fails", MISSING),
    Case("short-leading-S0-not-a-tag", "Re: S0: test", MISSING),
    Case("short-leading-dash", "S1 - production down", FOUND, (1,)),
    Case("short-leading-colon", "S3: report slow", FOUND, (3,)),
    Case("short-leading-pipe", "S4 | docs typo", FOUND, (4,)),
    Case("short-leading-en-dash", "S2 – export fails", FOUND, (2,)),
    Case("short-leading-lower", "s2: lower case", FOUND, (2,)),
    Case("short-leading-spaces", "  S2 - leading spaces", FOUND, (2,)),
    # Decision: a bare space is no separator, the end of the subject neither.
    Case("short-leading-space-only", "S3 bucket is slow", MISSING),
    Case("short-alone", "S2", MISSING),
    Case("short-leading-hyphenated-word", "S3-compatible storage slow", MISSING),
    Case("short-not-first-word", "Our S3 bucket: S2 - slow", MISSING),
    Case("short-S2S-vpn", "S2S VPN down", MISSING),
    Case("short-products", "EC2 and S3 down", MISSING),
    Case("short-S2-in-middle", "Export S2: fails", MISSING),
]

NOT_TAGS = [
    Case("no-10-users", "Sev 10 users affected", MISSING),
    Case("no-version-2-1", "Severity 2.1", MISSING),
    Case("no-decimal-1-5", "Severity 1.5", MISSING),
    Case("no-decimal-comma", "Sev 2,5", MISSING),
    Case("no-range", "Sev 1-2", MISSING),
    Case("no-fraction", "Sev 1/4", MISSING),
    Case("no-time", "Sev 1:30 outage", MISSING),
    Case("no-ordinal", "Sev 1st line support", MISSING),
    Case("no-SEV12", "SEV12 outage", MISSING),
    Case("no-severe", "Severe 2 problems with export", MISSING),
    Case("no-seveso", "Seveso 2 directive question", MISSING),
    Case("no-several", "Several 2 users", MISSING),
    Case("no-gravitation", "Gravitation 2", MISSING),
    Case("no-version-v2-3", "Upgrade to v2.3 failed", MISSING),
    Case("no-release-4-1", "Release 4.1 breaks login", MISSING),
    Case("no-windows-10", "Windows 10 clients cannot connect", MISSING),
    Case("no-office-365", "Office 365 integration broken", MISSING),
    Case("no-EC2", "EC2 instance unreachable", MISSING),
    Case("no-date-iso", "Maintenance on 2026-04-01", MISSING),
    Case("no-date-slash", "Invoice 1/4 missing", MISSING),
    Case("no-P1-dash", "P1 - production down", MISSING),
    Case("no-prio-colon", "Prio 2: export", MISSING),
    Case("no-priority-colon", "Priority: 1", MISSING),
    Case("no-keyword-alone", "Severity", MISSING),
    Case("no-keyword-word", "Severity: high", MISSING),
    Case("no-keyword-critical", "Severity: critical - production down", MISSING),
    # Decision: numbers in words are not levels.
    Case("no-number-word", "Severity two", MISSING),
    Case("no-empty", "", MISSING),
    Case("no-prefix-only", "Re: ", MISSING),
    Case("no-ticket-ref", "Re: [CCS-1042] Export fails", MISSING),
    Case("no-severity-inside-word", "Multiseverity 2 analysis", MISSING),
    Case("no-sev-glued-to-word", "Prodsev 1 alert", MISSING),
]

INVALID_LEVELS = [
    Case("invalid-5-start", "Severity 5 - export", INVALID, (5,)),
    Case("invalid-9", "Sev 9", INVALID, (9,)),
    Case("invalid-ernst-0", "Ernst 0", INVALID, (0,)),
    Case("invalid-schweregrad-7", "Schweregrad 7: Frage", INVALID, (7,)),
    Case("invalid-gravite-6", "Gravité 6", INVALID, (6,)),
    Case("invalid-two-out-of-range", "Severity 5 ... Severity 0", INVALID, (0, 5)),
    Case("invalid-same-twice", "Sev 5 export (severity 5)", INVALID, (5,)),
]

SEVERAL_TAGS = [
    Case("agree-sev-and-severity", "Sev 2 - export fails (severity 2)", FOUND, (2,)),
    Case("agree-short-and-long", "[S2] Severity 2 export", FOUND, (2,)),
    Case("agree-two-languages", "Severity 3 / Gravité 3", FOUND, (3,)),
    Case("disagree-leading-short-and-long", "S1: Severity 3 login", AMBIGUOUS, (1, 3)),
    Case("disagree-two-languages", "Severity 2 / Ernst 3", AMBIGUOUS, (2, 3)),
    # Decision: a valid and an invalid tag are ambiguous; the agent must not guess.
    Case("disagree-valid-and-invalid", "Sev 2 ... Severity 5", AMBIGUOUS, (2, 5)),
    Case("disagree-short-and-invalid", "[S2] ... Severity 9", AMBIGUOUS, (2, 9)),
    Case("disagree-all-four", "Sev 1 sev 2 sev 3 sev 4", AMBIGUOUS, (1, 2, 3, 4)),
    Case("agree-S5-is-no-tag", "[S5] Severity 2", FOUND, (2,)),
    Case("agree-priority-differs", "P1 - Severity 2 - Prio 3", FOUND, (2,)),
]

UNICODE = [
    Case("uni-full-width", "Ｓｅｖｅｒｉｔｙ　２", FOUND, (2,)),
    Case("uni-nbsp", "Severity\u00a02", FOUND, (2,)),
    Case("uni-narrow-nbsp", "Sev\u202f3 - export", FOUND, (3,)),
    Case("uni-full-width-digit", "Severity ２: export", FOUND, (2,)),
    Case("uni-full-width-digit-de", "Schweregrad ４", FOUND, (4,)),
    Case("uni-caps-accents", "SÉVÉRITÉ 1", FOUND, (1,)),
    Case("uni-decomposed-accents", "Se\u0301ve\u0301rite\u0301 2", FOUND, (2,)),
    Case("uni-nbsp-accents", "Gravit\u00e9\u00a03", FOUND, (3,)),
    Case("uni-zero-width-space", "Sev\u200b2 export", FOUND, (2,)),
    Case("uni-full-width-brackets", "［S2］ export", FOUND, (2,)),
    Case("uni-nbsp-en-dash", "Sev 2\u00a0– export", FOUND, (2,)),
    Case("uni-full-width-colon-prefix", "Re：S2 - export", FOUND, (2,)),
    Case("uni-superscript-runs-on", "Sev 1² users", MISSING),
    Case("uni-cyrillic-lookalike", "Ѕеv 2", MISSING),  # Cyrillic letters, not a keyword
]

ALL_CASES = (
    DESIGN_EXAMPLES
    + REPLY_PREFIXES
    + ENGLISH
    + DUTCH
    + FRENCH
    + GERMAN
    + SHORT_FORM
    + NOT_TAGS
    + INVALID_LEVELS
    + SEVERAL_TAGS
    + UNICODE
)

"""Benchmark: the agent desk at a million tickets, server time and SQL queries per page.

Run as `.venv/bin/python bench/desk.py`; prints one JSON object (progress on standard error).
For each database (SQLite; PostgreSQL when BENCH_DATABASE_URL or DATABASE_URL names one) a child
process (`bench/desk.py --one sqlite|postgres`) makes a fresh database, migrates it, seeds
`--tickets` tickets (default 1,000,000) with their messages in bulk, and then requests desk pages
with Django's test Client signed in as an agent: the first queue page, filtered queue pages, a
ticket page with 20 messages and searches for a common and a rare word. Per page: p50 and p95
of the server time (the time around `client.get`, the whole middleware stack in-process) and
the number of SQL queries, and the plan of the slowest query of the page.

Seeding bypasses the ORM: rows are built in Python and written with `executemany` (SQLite) or
`COPY` (PostgreSQL) in chunks, one transaction each. The search index is built after the load
(SQLite: the insert triggers of migration 0003_search are dropped for the load, the FTS5 table is
filled with one INSERT ... SELECT and the triggers are made again; PostgreSQL: the secondary
indexes, GIN included, are dropped and made again after COPY, then VACUUM ANALYZE). The time of
each step is in the output.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TICKETS = 1_000_000
REQUESTS = 50
WARMUP = 5
PAGE_SECONDS = 0.0  # --page-seconds: stop timing a page after this long (at least 10 requests)
SEED = 20260405
CHUNK = 20_000  # tickets per transaction while seeding
ORGANISATIONS = 2_000
CONTACTS = 20_000
AGENTS = 30
OPEN_SHARE = 0.05
MAX_MESSAGES = 20
RARE_MESSAGES = 30  # messages holding the rare word, whatever the number of tickets
YEARS = 4  # tickets received over the last YEARS years
TARGET_QUEUE_P95_MS = 50  # README.md, Speed
TARGET_QUEUE_QUERIES = 10
TARGET_SEARCH_P95_MS = 100
BENCH_DATABASE = os.environ.get("BENCH_DATABASE_NAME", "deskside_bench_desk")
SUPPORT = "support@deskside.bench"
REF_PREFIX = "CCS"

COMMON_WORD = "export"
RARE_WORD = "kerberos"
TWO_WORDS = "export excel"
# In ~0.8% of the messages (German payroll tickets): too few for the newest rows that
# PostgreSQL's search reads first, many enough to cost if every match were fetched.
MIDDLING_WORD = "lohnabrechnung"

# --- vocabulary ---------------------------------------------------------------------------------

LANGUAGES = {"en": 35, "nl": 30, "fr": 25, "de": 10}
LEVELS = {1: 5, 2: 15, 3: 45, 4: 35}
SEVERITY_TAG = {
    "en": ["Severity {n}", "Sev {n}", "[S{n}]", "Severity level {n}", "SEV{n}"],
    "nl": ["Ernst {n}", "Ernstniveau {n}", "[S{n}]"],
    "fr": ["Gravité {n}", "Sévérité {n}", "Niveau de gravité {n}"],
    "de": ["Schweregrad {n}", "[S{n}]"],
}
THINGS = {
    "en": [
        "Excel",
        "the invoice module",
        "the monthly report",
        "the dashboard",
        "the API",
        "the mobile app",
        "the PDF export",
        "user accounts",
        "the calendar",
        "the order list",
        "the stock report",
        "payroll",
        "the CRM sync",
        "the search page",
        "the archive",
        "the customer portal",
        "VAT returns",
        "the printer queue",
        "single sign-on",
        "the backup",
    ],
    "nl": [
        "Excel",
        "de facturatiemodule",
        "het maandrapport",
        "het dashboard",
        "de API",
        "de mobiele app",
        "de PDF-export",
        "gebruikersaccounts",
        "de agenda",
        "de orderlijst",
        "het voorraadrapport",
        "de loonverwerking",
        "de CRM-koppeling",
        "de zoekpagina",
        "het archief",
        "het klantenportaal",
        "de btw-aangifte",
        "de printerwachtrij",
        "de back-up",
    ],
    "fr": [
        "Excel",
        "le module de facturation",
        "le rapport mensuel",
        "le tableau de bord",
        "l'API",
        "l'application mobile",
        "l'export PDF",
        "les comptes utilisateurs",
        "le calendrier",
        "la liste des commandes",
        "le rapport de stock",
        "la paie",
        "la synchronisation CRM",
        "la page de recherche",
        "les archives",
        "le portail client",
        "les déclarations TVA",
        "la file d'impression",
        "la sauvegarde",
    ],
    "de": [
        "Excel",
        "das Rechnungsmodul",
        "der Monatsbericht",
        "das Dashboard",
        "die API",
        "die mobile App",
        "der PDF-Export",
        "die Benutzerkonten",
        "der Kalender",
        "die Auftragsliste",
        "der Lagerbericht",
        "die Lohnabrechnung",
        "die CRM-Anbindung",
        "die Suchseite",
        "das Archiv",
        "das Kundenportal",
        "die Umsatzsteuererklärung",
        "die Druckerwarteschlange",
        "die Datensicherung",
    ],
}
PROBLEMS = {
    "en": [
        "export to Excel fails",
        "{thing} is slow since the update",
        "cannot open {thing}",
        "error {code} in {thing}",
        "{thing} shows wrong totals",
        "question about {thing}",
        "{thing} does not load",
        "login to {thing} refused",
        "{thing}: data missing after import",
        "how do I configure {thing}?",
        "{thing} crashes on save",
        "export of {thing} is empty",
    ],
    "nl": [
        "export naar Excel mislukt",
        "{thing} is traag sinds de update",
        "kan {thing} niet openen",
        "fout {code} in {thing}",
        "{thing} toont verkeerde totalen",
        "vraag over {thing}",
        "{thing} laadt niet",
        "aanmelden op {thing} geweigerd",
        "{thing}: gegevens weg na import",
        "hoe stel ik {thing} in?",
        "{thing} crasht bij opslaan",
        "export van {thing} is leeg",
    ],
    "fr": [
        "l'export vers Excel échoue",
        "{thing} est lent depuis la mise à jour",
        "impossible d'ouvrir {thing}",
        "erreur {code} dans {thing}",
        "{thing} : totaux erronés",
        "question sur {thing}",
        "{thing} ne se charge pas",
        "connexion à {thing} refusée",
        "{thing} : données manquantes après import",
        "comment configurer {thing} ?",
        "{thing} plante à l'enregistrement",
        "l'export de {thing} est vide",
    ],
    "de": [
        "Export nach Excel schlägt fehl",
        "{thing} ist seit dem Update langsam",
        "{thing} lässt sich nicht öffnen",
        "Fehler {code} in {thing}",
        "{thing} zeigt falsche Summen",
        "Frage zu {thing}",
        "{thing} lädt nicht",
        "Anmeldung bei {thing} abgelehnt",
        "{thing}: Daten fehlen nach dem Import",
        "wie konfiguriere ich {thing}?",
        "{thing} stürzt beim Speichern ab",
        "Export von {thing} ist leer",
    ],
}
NO_TAG_SUBJECTS = {
    "en": ["Question about the monthly report", "Export problem", "Urgent: cannot log in"],
    "nl": ["Vraag over het maandrapport", "Probleem met de export", "Dringend: kan niet inloggen"],
    "fr": ["Question sur le rapport mensuel", "Problème d'export", "Urgent : connexion impossible"],
    "de": ["Frage zum Monatsbericht", "Problem mit dem Export", "Dringend: Anmeldung geht nicht"],
}
GREETINGS = {
    "en": ["Hello,", "Hi team,", "Good morning,", "Dear support,"],
    "nl": ["Hallo,", "Goedemorgen,", "Beste,", "Dag support,"],
    "fr": ["Bonjour,", "Madame, Monsieur,", "Bonjour à tous,"],
    "de": ["Guten Tag,", "Hallo zusammen,", "Sehr geehrte Damen und Herren,"],
}
CLIENT_SENTENCES = {
    "en": [
        "Since this morning the export to Excel stops halfway and the file is empty.",
        "We tried it on two machines with the same result.",
        "The error {code} appears when we open {thing}.",
        "Invoice {number} is missing from {thing}.",
        "Our users cannot work with {thing} since the update of {day}.",
        "Could you have a look at {thing} as soon as possible?",
        "It worked fine until last {day}.",
        "The totals in {thing} differ from last month by {number} euro.",
        "I attached a screenshot of the message.",
        "Restarting the browser does not help.",
        "Is there a workaround for {thing}?",
        "We need {thing} for the closing of the quarter.",
    ],
    "nl": [
        "Sinds vanochtend stopt de export naar Excel halverwege en is het bestand leeg.",
        "We hebben het op twee computers geprobeerd, met hetzelfde resultaat.",
        "De fout {code} verschijnt wanneer we {thing} openen.",
        "Factuur {number} ontbreekt in {thing}.",
        "Onze gebruikers kunnen niet werken met {thing} sinds de update van {day}.",
        "Kunnen jullie zo snel mogelijk naar {thing} kijken?",
        "Het werkte goed tot vorige {day}.",
        "De totalen in {thing} wijken {number} euro af van vorige maand.",
        "Ik heb een schermafdruk van de melding bijgevoegd.",
        "De browser herstarten helpt niet.",
        "Is er een tijdelijke oplossing voor {thing}?",
        "We hebben {thing} nodig voor de afsluiting van het kwartaal.",
    ],
    "fr": [
        "Depuis ce matin, l'export vers Excel s'arrête à mi-chemin et le fichier est vide.",
        "Nous avons essayé sur deux postes avec le même résultat.",
        "L'erreur {code} apparaît quand nous ouvrons {thing}.",
        "La facture {number} manque dans {thing}.",
        "Nos utilisateurs ne peuvent plus travailler avec {thing} depuis la mise à jour de {day}.",
        "Pourriez-vous regarder {thing} au plus vite ?",
        "Cela fonctionnait bien jusqu'à {day} dernier.",
        "Les totaux de {thing} diffèrent de {number} euros du mois passé.",
        "Vous trouverez en pièce jointe une capture d'écran du message.",
        "Redémarrer le navigateur n'aide pas.",
        "Existe-t-il une solution de contournement pour {thing} ?",
        "Nous avons besoin de {thing} pour la clôture du trimestre.",
    ],
    "de": [
        "Seit heute Morgen bricht der Export nach Excel auf halbem Weg ab und die Datei ist leer.",
        "Wir haben es auf zwei Rechnern versucht, mit demselben Ergebnis.",
        "Der Fehler {code} erscheint, wenn wir {thing} öffnen.",
        "Rechnung {number} fehlt in {thing}.",
        "Unsere Benutzer können seit dem Update vom {day} nicht mit {thing} arbeiten.",
        "Können Sie sich {thing} so schnell wie möglich ansehen?",
        "Bis letzten {day} hat es funktioniert.",
        "Die Summen in {thing} weichen um {number} Euro vom Vormonat ab.",
        "Ich habe einen Screenshot der Meldung angehängt.",
        "Ein Neustart des Browsers hilft nicht.",
        "Gibt es eine Umgehungslösung für {thing}?",
        "Wir brauchen {thing} für den Quartalsabschluss.",
    ],
}
AGENT_SENTENCES = {
    "en": [
        "Thank you for your message.",
        "We are looking into {thing} now.",
        "Could you send us the log of {day}?",
        "A fix for error {code} is planned.",
        "As a workaround, please use the CSV export for now.",
        "The update of {thing} is installed; could you try again?",
        "We could reproduce the problem on our side.",
        "Does this answer your question?",
    ],
    "nl": [
        "Bedankt voor uw bericht.",
        "We bekijken {thing} nu.",
        "Kunt u ons het logboek van {day} sturen?",
        "Een oplossing voor fout {code} is gepland.",
        "Gebruik voorlopig de CSV-export als tijdelijke oplossing.",
        "De update van {thing} is geïnstalleerd; wilt u het opnieuw proberen?",
        "We konden het probleem bij ons nabootsen.",
        "Beantwoordt dit uw vraag?",
    ],
    "fr": [
        "Merci pour votre message.",
        "Nous examinons {thing} en ce moment.",
        "Pourriez-vous nous envoyer le journal de {day} ?",
        "Un correctif pour l'erreur {code} est prévu.",
        "En attendant, utilisez l'export CSV comme solution de contournement.",
        "La mise à jour de {thing} est installée ; pouvez-vous réessayer ?",
        "Nous avons pu reproduire le problème chez nous.",
        "Cela répond-il à votre question ?",
    ],
    "de": [
        "Vielen Dank für Ihre Nachricht.",
        "Wir prüfen {thing} gerade.",
        "Können Sie uns das Protokoll vom {day} schicken?",
        "Eine Korrektur für Fehler {code} ist geplant.",
        "Als Umgehung nutzen Sie bitte vorerst den CSV-Export.",
        "Das Update von {thing} ist installiert; können Sie es erneut versuchen?",
        "Wir konnten das Problem bei uns nachstellen.",
        "Beantwortet das Ihre Frage?",
    ],
}
RARE_SENTENCE = {
    "en": "The server log also mentions {word}.",
    "nl": "In het serverlogboek staat ook {word}.",
    "fr": "Le journal du serveur mentionne aussi {word}.",
    "de": "Im Serverprotokoll steht auch {word}.",
}
DAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
    "nl": ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag"],
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi"],
    "de": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag"],
}
CLOSINGS = {
    "en": "Kind regards,",
    "nl": "Met vriendelijke groeten,",
    "fr": "Cordialement,",
    "de": "Mit freundlichen Grüßen,",
}
FIRST_NAMES = [
    "Claire",
    "Jan",
    "Sophie",
    "Lukas",
    "An",
    "Marie",
    "Thomas",
    "Pieter",
    "Julie",
    "Anna",
    "Koen",
    "Els",
    "Luc",
    "Nathalie",
    "Stefan",
    "Ines",
    "Bart",
    "Camille",
    "Jonas",
    "Lotte",
]
LAST_NAMES = [
    "Peeters",
    "Janssens",
    "Dubois",
    "Schmidt",
    "De Smet",
    "Lambert",
    "Müller",
    "Claes",
    "Martin",
    "Weber",
    "Maes",
    "Jacobs",
    "Mertens",
    "Willems",
    "Dupont",
    "Wouters",
    "Goossens",
]
CITIES = [
    ("1000", "Brussel", "BE"),
    ("2000", "Antwerpen", "BE"),
    ("9000", "Gent", "BE"),
    ("4000", "Liège", "BE"),
    ("3000", "Leuven", "BE"),
    ("8000", "Brugge", "BE"),
    ("5000", "Namur", "BE"),
    ("1300", "Wavre", "BE"),
    ("3500", "Hasselt", "BE"),
    ("6000", "Charleroi", "BE"),
    ("1011", "Amsterdam", "NL"),
    ("75001", "Paris", "FR"),
    ("50667", "Köln", "DE"),
    ("1468", "Luxembourg", "LU"),
]
STREETS = ["Kerkstraat", "Rue Haute", "Hauptstraße", "Stationsplein", "Avenue Louise"]
CLOSE_REASONS = {
    "solved": 70,
    "answered": 8,
    "no_severity": 9,
    "invalid_severity": 1,
    "client_unavailable": 4,
    "duplicate": 3,
    "withdrawn": 2,
    "out_of_scope": 2,
    "client_refused": 1,
}
OPEN_STATUS = {"new": 20, "open": 55, "waiting_on_client": 25}


# --- seeding ------------------------------------------------------------------------------------


class Writer:
    """Writes rows of one table: executemany on SQLite, COPY on PostgreSQL. Columns not given
    (a field added by a later migration) get their field's default."""

    def __init__(self, model: Any, columns: list[str], vendor: str) -> None:
        from django.db import connection

        self.vendor = vendor
        self.table = model._meta.db_table
        by_column = {f.column: f for f in model._meta.concrete_fields}
        missing = [c for c in by_column if c not in columns]
        extra: list[Any] = []
        missing = [c for c in missing if not by_column[c].primary_key]  # the database numbers
        for column in missing:
            field = by_column[column]
            default = field.get_default()
            if default is None and not field.null:
                raise RuntimeError(f"{self.table}.{column}: no value and no default")
            if vendor == "sqlite":
                default = field.get_db_prep_save(default, connection)
            extra.append(default)
        self.columns = columns + missing
        self.extra = tuple(extra)

    def write(self, cursor: Any, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        names = ", ".join(self.columns)
        if self.extra:
            rows = [row + self.extra for row in rows]
        if self.vendor == "sqlite":
            marks = ", ".join("?" * len(self.columns))
            cursor.executemany(f"INSERT INTO {self.table} ({names}) VALUES ({marks})", rows)
            return
        text = "".join("\t".join(map(_copy_text, row)) + "\n" for row in rows)
        with cursor.copy(f"COPY {self.table} ({names}) FROM STDIN") as copy:
            copy.write(text)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (dict, list)):
        return json.dumps(value).translate(_COPY_ESCAPES)
    if isinstance(value, timedelta):
        return f"{value.total_seconds()} seconds"
    return str(value)


class Seeder:
    """Builds the rows. Ticket ids run in the order of receipt; times are UTC."""

    def __init__(self, tickets: int, vendor: str, now: datetime) -> None:
        self.rng = random.Random(SEED)
        self.random = self.rng.random
        self.n = tickets
        self.vendor = vendor
        self.now = now
        self.start = now - timedelta(days=365 * YEARS)
        self.step = (now - timedelta(hours=1) - self.start) / tickets
        rng = self.rng
        # Message counts: geometric, mean about 3, capped at 20 (chosen up front).
        weights = [(2 / 3) ** k for k in range(MAX_MESSAGES)]
        self.message_counts = rng.choices(range(1, MAX_MESSAGES + 1), weights, k=tickets)
        self.open_ids = self._open_ids()
        # The ticket of the ticket-page measurement: the newest open ticket, 20 messages.
        self.page_ticket = max(self.open_ids)
        self.message_counts[self.page_ticket - 1] = MAX_MESSAGES
        total = sum(self.message_counts)
        self.rare_probability = RARE_MESSAGES / total
        self.word_counts = {
            COMMON_WORD: 0,
            RARE_WORD: 0,
            MIDDLING_WORD: 0,
            "both_" + "_".join(TWO_WORDS.split()): 0,
        }
        self.messages_total = total
        self.message_id = 0

    def _open_ids(self) -> set[int]:
        """5% open: four fifths among the newest 8% of tickets, the rest scattered."""
        rng, n = self.rng, self.n
        count = max(1, round(n * OPEN_SHARE))
        recent_from = max(1, n - max(1, round(n * 0.08)) + 1)
        recent = rng.sample(range(recent_from, n + 1), min(n - recent_from + 1, count * 4 // 5))
        chosen = set(recent)
        while len(chosen) < count:
            chosen.add(rng.randint(1, n))
        return chosen

    # -- people

    def organisations(self) -> list[tuple[Any, ...]]:
        rng = self.rng
        kinds = ["NV", "BV", "SA", "SRL", "GmbH", "BVBA", "vzw", "Group", "Services", "Logistics"]
        rows = []
        for i in range(1, ORGANISATIONS + 1):
            postal, city, country = rng.choice(CITIES)
            name = f"{rng.choice(LAST_NAMES)} {rng.choice(kinds)} {i}"
            rows.append(
                (
                    i,
                    name,
                    f"{rng.choice(STREETS)} {rng.randint(1, 200)}",
                    "",
                    postal,
                    city,
                    country,
                    self._dt(self.start),
                )
            )
        return rows

    def contacts(self) -> list[tuple[Any, ...]]:
        rng = self.rng
        langs, lweights = zip(*LANGUAGES.items(), strict=True)
        rows = []
        self.contact_org: list[int] = [0]
        self.contact_lang: list[str] = [""]
        self.contact_email: list[str] = [""]
        self.contact_name: list[str] = [""]
        for i in range(1, CONTACTS + 1):
            org = rng.randint(1, ORGANISATIONS)
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{first.lower()}.{last.lower().replace(' ', '')}.{i}@org{org}.example"
            language = rng.choices(langs, lweights)[0]
            rows.append(
                (
                    i,
                    email,
                    f"{first} {last}",
                    language,
                    org,
                    "",
                    "",
                    "",
                    "",
                    "",
                    None,
                    self._dt(self.start),
                )
            )
            self.contact_org.append(org)
            self.contact_lang.append(language)
            self.contact_email.append(email)
            self.contact_name.append(f"{first} {last}")
        # Some clients write much more than others (a Pareto-like weight per contact).
        self.contact_weights = [rng.paretovariate(1.2) for _ in range(CONTACTS)]
        self.contact_cum = list(_accumulate(self.contact_weights))
        return rows

    def busiest_contact(self) -> dict[str, Any]:
        """The client who wrote most (the Pareto weights): the costliest search by address."""
        heaviest = max(range(CONTACTS), key=self.contact_weights.__getitem__) + 1
        return {
            "id": heaviest,
            "email": self.contact_email[heaviest],
            "name": self.contact_name[heaviest],
            "organisation": self.contact_org[heaviest],
        }

    # -- tickets

    def chunks(
        self, agents: list[tuple[int, str]]
    ) -> Iterator[tuple[list[Any], list[Any], list[Any]]]:
        from deskside.tickets import clocks
        from deskside.tickets.models import Ticket
        from deskside.tickets.policy import effort_rank

        rng = self.rng
        ranks = {level: effort_rank(level) for level in LEVELS}
        # Weighted picks as lists with each value `weight` times: one random() per pick.
        level_pool = [k for k, w in LEVELS.items() for _ in range(w)]
        reason_pool = [k for k, w in CLOSE_REASONS.items() for _ in range(w)]
        status_pool = [k for k, w in OPEN_STATUS.items() for _ in range(w)]
        contacts = range(1, CONTACTS + 1)
        for first in range(1, self.n + 1, CHUNK):
            tickets, messages, events = [], [], []
            last = min(self.n, first + CHUNK - 1)
            contact_ids = rng.choices(contacts, cum_weights=self.contact_cum, k=last - first + 1)
            for number in range(first, last + 1):
                contact = contact_ids[number - first]
                language = self.contact_lang[contact]
                received = (
                    self.start + self.step * number + timedelta(seconds=int(self.random() * 600))
                )
                is_open = number in self.open_ids
                level: int | None = self._pick(level_pool)
                close_reason = ""
                if is_open:
                    status = self._pick(status_pool)
                    if number == self.page_ticket:
                        status = "open"
                elif self.random() < 0.03 and number > self.n * 0.95:
                    status = "resolved"
                else:
                    status = "closed"
                    close_reason = self._pick(reason_pool)
                    if close_reason in ("no_severity", "invalid_severity"):
                        level = None
                claimed = level
                if level is not None and self.random() < 0.1:
                    claimed = max(1, min(4, level + self._pick((-1, 1))))
                subject = self._subject(language, claimed)
                assignee = None
                if status != "new" and level is not None and self.random() < 0.85:
                    assignee = self._pick(agents)
                count = self.message_counts[number - 1]
                times = [received]
                for _ in range(count - 1):
                    times.append(
                        times[-1] + timedelta(minutes=5 + int(self.random() * 3 * 24 * 60))
                    )
                if times[-1] > self.now:
                    gap = (self.now - received) / (count + 1)
                    times = [received + gap * k for k in range(count)]
                closed_at = None
                if status in ("closed", "resolved"):
                    closed_at = times[-1] + timedelta(hours=1 + int(self.random() * 47))
                dues: dict[str, Any] = dict.fromkeys(
                    (
                        "first_response_due",
                        "next_update_due",
                        "goal_due",
                        "documentation_due",
                        "nearest_due",
                        "next_check_at",
                        "clocks_checked_at",
                    ),
                )
                paused = False
                rank = ranks[level] if level is not None else 9
                if is_open and level is not None:
                    dues, paused = self._clocks(
                        clocks, Ticket, number, level, claimed, status, received, times
                    )
                milestone = ""
                if close_reason == "solved":
                    milestone = "solution"
                elif close_reason == "answered":
                    milestone = "answer"
                org = self.contact_org[contact]
                tickets.append(
                    (
                        number,
                        subject,
                        contact,
                        org,
                        claimed,
                        level,
                        status,
                        close_reason,
                        milestone,
                        language,
                        "mail",  # door: every seeded ticket begins with a client's mail
                        self._dt(received),
                        self._dt(received),
                        self._dt(closed_at or times[-1]),
                        self._dt(closed_at),
                        assignee[0] if assignee else None,
                        rank,
                        self._dt(dues["first_response_due"]),
                        self._dt(dues["next_update_due"]),
                        self._dt(dues["goal_due"]),
                        self._dt(dues["documentation_due"]),
                        self._dt(dues["nearest_due"]),
                        self._dt(dues["next_check_at"]),
                        self._dt(dues["clocks_checked_at"]),
                        paused,
                        is_open,
                    )
                )
                self._messages(
                    messages,
                    number,
                    subject,
                    contact,
                    language,
                    times,
                    assignee or self._pick(agents),
                )
                events.append((number, None, "system", "created", "{}", self._dt(received)))
                if status == "closed":
                    data = json.dumps({"reason": close_reason})
                    events.append(
                        (
                            number,
                            assignee[0] if assignee else None,
                            assignee[1] if assignee else "system",
                            "closed",
                            data,
                            self._dt(closed_at),
                        )
                    )
            yield tickets, messages, events

    def _clocks(
        self,
        clocks: Any,
        ticket_model: Any,
        number: int,
        level: int,
        claimed: int | None,
        status: str,
        received: datetime,
        times: list[datetime],
    ) -> tuple[dict[str, Any], bool]:
        """The stored clock fields as deskside.tickets.clocks.refresh() sets them."""
        from deskside.core.clocks import History

        replies = tuple(t for k, t in enumerate(times) if k % 2 == 1) if status != "new" else ()
        waiting: tuple[tuple[datetime, datetime | None], ...] = ()
        if status == "waiting_on_client":
            waiting = ((max(times[-1], received + timedelta(minutes=1)), None),)
        history = History(
            received_at=received,
            claimed_severity=int(claimed or level),
            reassessments=((received + timedelta(minutes=20), level),) if claimed != level else (),
            public_replies=replies,
            waiting_periods=waiting,
        )
        ticket = ticket_model(severity=level, status=status, received_at=received)
        ticket.clocks_checked_at = self.now - timedelta(minutes=1)  # the sweep runs every minute
        clocks.refresh(ticket, known=history)
        fields = (
            "first_response_due",
            "next_update_due",
            "goal_due",
            "documentation_due",
            "nearest_due",
            "next_check_at",
            "clocks_checked_at",
        )
        return {f: getattr(ticket, f) for f in fields}, bool(ticket.clocks_paused)

    def _subject(self, language: str, level: int | None) -> str:
        if level is None:
            return self._pick(NO_TAG_SUBJECTS[language])
        problem = self._pick(PROBLEMS[language]).format(
            thing=self._pick(THINGS[language]), code=self._code()
        )
        tag = self._pick(SEVERITY_TAG[language]).format(n=level)
        return f"{tag} - {problem}" if self.random() < 0.7 else f"{problem} ({tag})"

    def _code(self) -> str:
        return f"E{1000 + int(self.random() * 9000)}"

    def _pick(self, items: Any) -> Any:
        return items[int(self.random() * len(items))]  # rng.choice(), several times faster

    def _text(self, language: str, sentences: list[str], name: str, closing: bool) -> str:
        pick, fill = self._pick, _Slots(self, language)
        chosen = self.rng.sample(sentences, pick((1, 2, 2, 3, 3, 4)))
        body = " ".join(s.format_map(fill) if "{" in s else s for s in chosen)
        if self.random() < self.rare_probability:
            body += " " + RARE_SENTENCE[language].format(word=RARE_WORD)
        text = f"{pick(GREETINGS[language])}\n\n{body}\n\n{CLOSINGS[language]}\n{name}\n"
        lower = text.lower()
        common = COMMON_WORD in lower
        self.word_counts[COMMON_WORD] += common
        self.word_counts[RARE_WORD] += RARE_WORD in lower
        self.word_counts[MIDDLING_WORD] += MIDDLING_WORD in lower
        if common and all(w in lower for w in TWO_WORDS.split()):
            self.word_counts["both_" + "_".join(TWO_WORDS.split())] += 1
        return text

    def _messages(
        self,
        rows: list[Any],
        number: int,
        subject: str,
        contact: int,
        language: str,
        times: list[datetime],
        agent: tuple[int, str],
    ) -> None:
        rng = self.rng
        previous = ""
        email = self.contact_email[contact]
        for k, at in enumerate(times):
            self.message_id += 1
            inbound = k % 2 == 0
            note = not inbound and self.random() < 0.1
            if inbound:
                text = self._text(
                    language, CLIENT_SENTENCES[language], self.contact_name[contact], True
                )
                direction, kind, sender, author = "inbound", "mail", email, None
                message_id = f"{number}.{k}.{rng.getrandbits(40):010x}@{email.split('@')[1]}"
                html = (
                    "<p>" + text.replace("\n\n", "</p><p>").replace("\n", "<br>") + "</p>"
                    if self.random() < 0.3
                    else ""
                )
            else:
                text = self._text(language, AGENT_SENTENCES[language], agent[1], True)
                direction, kind = ("internal", "note") if note else ("outbound", "reply")
                sender, author, html = agent[1], agent[0], ""
                message_id = "" if note else f"deskside-{self.message_id}@deskside.bench"
            rows.append(
                (
                    self.message_id,
                    number,
                    direction,
                    kind,
                    sender,
                    author,
                    subject if k == 0 else f"Re: [{REF_PREFIX}-{number}] {subject}",
                    text,
                    text,
                    html,
                    message_id,
                    previous,
                    self._dt(at),
                )
            )
            if message_id:
                previous = message_id

    def _dt(self, value: datetime | None) -> Any:
        if value is None:
            return None
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        # SQLite: as Django stores it, naive UTC text; PostgreSQL reads the +00:00.
        return str(value)[:-6] if self.vendor == "sqlite" else str(value)


class _Slots(dict[str, Any]):
    """The placeholders of a sentence, each drawn only when the sentence has it."""

    def __init__(self, seeder: Seeder, language: str) -> None:
        super().__init__()
        self.seeder, self.language = seeder, language

    def __missing__(self, key: str) -> Any:
        seeder, language = self.seeder, self.language
        if key == "thing":
            return seeder._pick(THINGS[language])
        if key == "code":
            return seeder._code()
        if key == "number":
            return 100000 + int(seeder.random() * 900000)
        return seeder._pick(DAYS[language])


def _accumulate(values: list[float]) -> Iterator[float]:
    total = 0.0
    for value in values:
        total += value
        yield total


TICKET_COLUMNS = [
    "id",
    "subject",
    "contact_id",
    "organisation_id",
    "claimed_severity",
    "severity",
    "status",
    "close_reason",
    "milestone",
    "language",
    "door",
    "received_at",
    "created_at",
    "updated_at",
    "closed_at",
    "assignee_id",
    "effort_rank",
    "first_response_due",
    "next_update_due",
    "goal_due",
    "documentation_due",
    "nearest_due",
    "next_check_at",
    "clocks_checked_at",
    "clocks_paused",
    "in_queue",
]
MESSAGE_COLUMNS = [
    "id",
    "ticket_id",
    "direction",
    "kind",
    "sender",
    "author_id",
    "subject",
    "text",
    "visible_text",
    "html",
    "message_id",
    "in_reply_to",
    "created_at",
]
EVENT_COLUMNS = ["ticket_id", "actor_id", "actor_label", "kind", "data", "created_at"]
ORGANISATION_COLUMNS = [
    "id",
    "name",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "country",
    "created_at",
]
CONTACT_COLUMNS = [
    "id",
    "email",
    "name",
    "language",
    "organisation_id",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "country",
    "user_id",
    "created_at",
]


def _progress(message: str) -> None:
    print(f"[desk bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _timed(timings: dict[str, float], key: str, work: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = work()
    timings[key] = round(timings.get(key, 0.0) + time.perf_counter() - started, 1)
    return result


def seed(tickets: int, agents: list[tuple[int, str]]) -> dict[str, Any]:
    from django.db import connection, transaction

    from deskside.accounts.models import Contact, Organisation
    from deskside.tickets.models import Event, Message, Ticket

    vendor = connection.vendor
    now = datetime.now(UTC)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    seeder = Seeder(tickets, vendor, now)
    writers = {
        "organisations": Writer(Organisation, ORGANISATION_COLUMNS, vendor),
        "contacts": Writer(Contact, CONTACT_COLUMNS, vendor),
        "tickets": Writer(Ticket, TICKET_COLUMNS, vendor),
        "messages": Writer(Message, MESSAGE_COLUMNS, vendor),
        "events": Writer(Event, EVENT_COLUMNS, vendor),
    }
    connection.ensure_connection()
    raw = connection.connection
    before = _prepare_load(raw, vendor)
    cursor = raw.cursor()
    with transaction.atomic():
        writers["organisations"].write(cursor, seeder.organisations())
        writers["contacts"].write(cursor, seeder.contacts())
    generate = write = 0.0
    done = 0
    chunks = seeder.chunks(agents)
    while True:
        t0 = time.perf_counter()
        chunk = next(chunks, None)
        t1 = time.perf_counter()
        generate += t1 - t0
        if chunk is None:
            break
        with transaction.atomic():
            for name, rows in zip(("tickets", "messages", "events"), chunk, strict=True):
                writers[name].write(cursor, rows)
        write += time.perf_counter() - t1
        done += len(chunk[0])
        if done % (CHUNK * 10) == 0 or done == tickets:
            _progress(f"{vendor}: {done:,} tickets written ({time.perf_counter() - started:.0f} s)")
    timings["generate_rows_python"] = round(generate, 1)
    timings["insert_rows"] = round(write, 1)
    _finish_load(raw, vendor, before, timings)
    timings["total"] = round(time.perf_counter() - started, 1)
    return {
        "seconds": timings,
        "page_ticket": seeder.page_ticket,
        "open_tickets": len(seeder.open_ids),
        "messages_with_word": seeder.word_counts,
        "busiest_contact": seeder.busiest_contact(),
    }


def _prepare_load(raw: Any, vendor: str) -> dict[str, Any]:
    """Take away what the load should not pay row by row; returns what to put back."""
    cursor = raw.cursor()
    if vendor == "sqlite":
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-400000")  # 400 MB while loading
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN "
            "('ticket_search_ticket_insert', 'ticket_search_message_insert')"
        )
        triggers = cursor.fetchall()
        assert len(triggers) == 2, f"the search triggers of 0003_search are missing: {triggers}"
        for name, _sql in triggers:
            cursor.execute(f"DROP TRIGGER {name}")
        return {"triggers": triggers}
    # PostgreSQL: drop the secondary indexes of the big tables (made again after the load, where
    # one sorted build beats a million index inserts), and skip the deferred FK checks.
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes AS i
        WHERE i.schemaname = current_schema()
          AND i.tablename IN ('tickets_ticket', 'tickets_message', 'tickets_event')
          AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conname = i.indexname)
        """
    )
    indexes = cursor.fetchall()
    for name, _sql in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    cursor.execute("SET session_replication_role = replica")
    raw.commit()
    return {"indexes": indexes}


def _finish_load(raw: Any, vendor: str, before: dict[str, Any], timings: dict[str, float]) -> None:
    cursor = raw.cursor()
    migration = importlib.import_module("deskside.tickets.migrations.0003_search")
    if vendor == "sqlite":
        _progress("sqlite: filling the FTS5 table ticket_search")

        def fill() -> None:
            cursor.execute("BEGIN")
            for sql in migration.SQLITE_FORWARD[-2:]:  # its INSERT ... SELECT statements
                cursor.execute(sql)
            for _name, sql in before["triggers"]:
                cursor.execute(sql)
            cursor.execute("COMMIT")

        _timed(timings, "search_index_fts5_fill", fill)
        _timed(timings, "fts5_optimize", lambda: _sqlite_optimize(raw))
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA cache_size=-2000")
        _timed(timings, "wal_checkpoint", lambda: cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)"))
        return
    cursor.execute("SET session_replication_role = DEFAULT")
    cursor.execute("SET maintenance_work_mem = '512MB'")
    raw.commit()
    for name, sql in before["indexes"]:
        _progress(f"postgres: CREATE INDEX {name}")
        key = "gin_indexes" if " gin " in sql.lower() else "btree_indexes"
        _timed(timings, key, lambda sql=sql: (cursor.execute(sql), raw.commit()))
    for table in (
        "tickets_ticket",
        "tickets_message",
        "tickets_event",
        "accounts_contact",
        "accounts_organisation",
    ):
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        )
    raw.commit()
    _progress("postgres: VACUUM ANALYZE")  # Django's connection is in autocommit mode here
    _timed(timings, "vacuum_analyze", lambda: cursor.execute("VACUUM ANALYZE"))


def _sqlite_optimize(raw: Any) -> None:
    """Merge the FTS5 segments into one, as a quiet night's 'optimize' would."""
    cursor = raw.cursor()
    cursor.execute("INSERT INTO ticket_search(ticket_search) VALUES ('optimize')")
    raw.commit()


# --- measuring ----------------------------------------------------------------------------------


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def measure(
    client: Any, url: str, requests: int, warmup: int, new_connection: bool = False
) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warmup):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    if new_connection:
        connection.close()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    queries = list(captured.captured_queries)  # read now: the next request clears the log
    times: list[float] = []
    began = time.perf_counter()
    for _ in range(requests):
        if PAGE_SECONDS and len(times) >= 10 and time.perf_counter() - began > PAGE_SECONDS:
            break  # --page-seconds: a page of seconds per request need not take ten minutes
        if new_connection:
            connection.close()
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    slowest = max(queries, key=lambda q: float(q["time"]), default=None)
    return {
        "url": url,
        "requests": len(times),
        **({"capped": f"--page-seconds {PAGE_SECONDS}"} if len(times) < requests else {}),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(_percentile(times, 0.95), 1),
        "max_ms": round(max(times), 1),
        "queries": len(queries),
        "sql_ms_one_request": round(sum(float(q["time"]) for q in queries) * 1000, 1),
        "response_bytes": len(response.content),
        "query_list": [
            f"{float(q['time']) * 1000:.1f} ms  {' '.join(q['sql'].split())[:160]}" for q in queries
        ],
        "slowest_query": _explain(slowest) if slowest else None,
        **(
            {"connection": "closed before each request, as CONN_MAX_AGE=0 does"}
            if new_connection
            else {}
        ),
    }


def _explain(query: dict[str, str]) -> dict[str, Any]:
    from django.db import connection

    sql = query["sql"]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
            rows = cursor.fetchall()
            depth: dict[int, int] = {0: 0}
            plan = []
            for node, parent, _unused, detail in rows:
                depth[node] = depth.get(parent, 0) + 1
                plan.append("  " * (depth[node] - 1) + detail)
        else:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = [row[0] for row in cursor.fetchall()]
    return {"ms": round(float(query["time"]) * 1000, 1), "sql": sql[:3000], "plan": plan}


def make_agents(count: int = AGENTS) -> list[tuple[int, str]]:
    """`count` members of the agent group, (id, name) each: the benches' staff."""
    from django.contrib.auth.models import Group, User

    group = Group.objects.get(name="agent")
    agents = []
    for i in range(count):
        first, last = FIRST_NAMES[i % len(FIRST_NAMES)], LAST_NAMES[i % len(LAST_NAMES)]
        user = User(
            username=f"agent{i}",
            email=f"agent{i}@deskside.bench",
            first_name=first,
            last_name=f"{last} {i}",
        )
        user.set_unusable_password()  # force_login needs none; hashing 30 would take seconds
        user.save()
        user.groups.add(group)
        agents.append((user.pk, f"{first} {last} {i}"))
    return agents


def run_one(database: str, tickets: int, requests: int, warmup: int) -> dict[str, Any]:
    info = _setup_django(database)
    _progress(f"{database}: migrated in {info['migrate_seconds']} s")
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    from deskside.tickets.models import Event, Message, Ticket

    agents = make_agents()
    me = User.objects.get(pk=agents[0][0])

    seeded = seed(tickets, agents)
    counts = {
        "tickets": Ticket.objects.count(),
        "open_tickets": Ticket.objects.filter(
            status__in=["new", "open", "waiting_on_client"]
        ).count(),
        "messages": Message.objects.count(),
        "events": Event.objects.count(),
        "organisations": ORGANISATIONS,
        "contacts": CONTACTS,
        "agents": AGENTS,
    }
    page_ticket = seeded["page_ticket"]
    assert Message.objects.filter(ticket_id=page_ticket).count() == MAX_MESSAGES
    size = _database_bytes(info)
    connection.close()  # measure with the product's own connection settings
    _progress(f"{database}: seeded {counts} in {seeded['seconds']['total']} s; measuring")

    client = Client()
    client.force_login(me)
    other = agents[1][0]
    busiest = seeded["busiest_contact"]
    scenarios: dict[str, dict[str, Any]] = {}
    pages = [
        ("queue_first_page", "/desk/", False),
        ("queue_level_2_open", "/desk/?level=2&status=open", False),
        ("queue_assignee_me", "/desk/?assignee=me", False),
        ("queue_assignee_other_level_3", f"/desk/?assignee={other}&level=3", False),
        ("queue_breached", "/desk/?breached=on", False),
        ("queue_resolved", "/desk/?status=resolved", False),
        ("queue_closed", "/desk/?status=closed", False),
        ("queue_closed_level_1", "/desk/?status=closed&level=1", False),
        ("queue_closed_assignee_me", "/desk/?status=closed&assignee=me", False),
        (
            "queue_closed_organisation",
            f"/desk/?status=closed&organisation={busiest['organisation']}",
            False,
        ),
        ("ticket_page_20_messages", f"/desk/ticket/{REF_PREFIX}-{page_ticket}/", False),
        ("search_common_word", f"/desk/search/?q={COMMON_WORD}", False),
        ("search_rare_word", f"/desk/search/?q={RARE_WORD}", False),
        ("search_two_words", "/desk/search/?q=" + TWO_WORDS.replace(" ", "+"), False),
        ("search_middling_word", f"/desk/search/?q={MIDDLING_WORD}", False),
        ("search_client_address", "/desk/search/?" + urlencode({"q": busiest["email"]}), False),
        ("search_client_name", "/desk/search/?" + urlencode({"q": busiest["name"]}), False),
        ("search_client_first_name", f"/desk/search/?q={FIRST_NAMES[-2]}", False),
        # Desk → Customers: the busiest client's page (and an older page of her past tickets),
        # her organisation's, and the search for her by the start of her address.
        ("customer_contact", f"/desk/customers/contact/{busiest['id']}/", False),
        ("customer_contact_past_page_3", f"/desk/customers/contact/{busiest['id']}/?past=3", False),
        (
            "customer_organisation",
            f"/desk/customers/organisation/{busiest['organisation']}/",
            False,
        ),
        (
            "customer_search_address",
            "/desk/customers/?" + urlencode({"q": busiest["email"][:8]}),
            False,
        ),
    ]
    if database == "sqlite":
        pages.append(("queue_first_page_new_connection", "/desk/", True))
    for name, url, new_connection in pages:
        figures = scenarios[name] = measure(client, url, requests, warmup, new_connection)
        _progress(
            f"{database}: {name} p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, "
            f"{figures['queries']} queries"
        )
    queue = {
        k: v for k, v in scenarios.items() if k.startswith("queue_") and "new_connection" not in k
    }
    search = {k: v for k, v in scenarios.items() if k.startswith("search_")}
    meets = {
        "queue_p95_le_50_ms": all(v["p95_ms"] <= TARGET_QUEUE_P95_MS for v in queue.values()),
        "queue_queries_le_10": all(v["queries"] <= TARGET_QUEUE_QUERIES for v in queue.values()),
        "search_p95_le_100_ms": all(v["p95_ms"] <= TARGET_SEARCH_P95_MS for v in search.values()),
        "per_page": {
            **{
                k: v["p95_ms"] <= TARGET_QUEUE_P95_MS and v["queries"] <= TARGET_QUEUE_QUERIES
                for k, v in queue.items()
            },
            **{k: v["p95_ms"] <= TARGET_SEARCH_P95_MS for k, v in search.items()},
        },
    }
    _clean_up(info)
    return {
        "vendor": database,
        "database_version": info["version"],
        "counts": counts,
        "database_bytes": size,
        "seeding": {**seeded, "migrate_seconds": info["migrate_seconds"]},
        "pages": scenarios,
        "meets_targets": meets,
        **({"database": info["database"]} if "database" in info else {}),
    }


# --- one database, one process ------------------------------------------------------------------


def _postgres_url() -> str | None:
    for name in ("BENCH_DATABASE_URL", "DATABASE_URL"):
        url = os.environ.get(name, "")
        if url.startswith(("postgres://", "postgresql://", "pgsql://")):
            return url
    return None


def _fresh_postgres(url: str) -> str:
    import psycopg

    parts = urlsplit(url)
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server.replace("postgresql://", "postgres://", 1), autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")
        db.execute(f"CREATE DATABASE {BENCH_DATABASE}")
    return urlunsplit(parts._replace(path=f"/{BENCH_DATABASE}"))


def _drop_postgres() -> None:
    import psycopg

    url = _postgres_url()
    assert url
    server = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(server.replace("postgresql://", "postgres://", 1), autocommit=True) as db:
        db.execute(f"DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)")


def _setup_django(database: str) -> dict[str, Any]:
    """Environment first, then Django: settings are read once, at setup."""
    data_dir = tempfile.mkdtemp(prefix="deskside-bench-desk-")
    os.environ["DESKSIDE_DATA_DIR"] = data_dir
    os.environ["DESKSIDE_SUPPORT_ADDRESS"] = SUPPORT
    os.environ["DESKSIDE_REF_PREFIX"] = REF_PREFIX
    os.environ["DJANGO_SETTINGS_MODULE"] = "deskside.settings"
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ.pop("EMAIL_URL", None)
    os.environ.pop("DEBUG", None)
    info: dict[str, Any] = {"data_dir": data_dir, "vendor": database}
    if database == "postgres":
        url = _postgres_url()
        assert url, "no PostgreSQL URL in BENCH_DATABASE_URL or DATABASE_URL"
        os.environ["DATABASE_URL"] = _fresh_postgres(url)
        info["database"] = BENCH_DATABASE
    else:
        os.environ.pop("DATABASE_URL", None)
    import logging

    import django

    from deskside.config import prepare

    prepare()
    django.setup()
    logging.disable(logging.WARNING)
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    info["migrate_seconds"] = round(time.perf_counter() - started, 1)
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if database == "sqlite" else "SHOW server_version")
        info["version"] = cursor.fetchone()[0]
    return info


def _database_bytes(info: dict[str, Any]) -> int:
    from django.db import connection

    if connection.vendor == "sqlite":
        return sum(p.stat().st_size for p in Path(info["data_dir"]).glob("deskside.sqlite3*"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return int(cursor.fetchone()[0])


def _clean_up(info: dict[str, Any]) -> None:
    from django.db import connection

    connection.close()
    shutil.rmtree(info["data_dir"], ignore_errors=True)
    if info["vendor"] == "postgres" and not os.environ.get("BENCH_KEEP_DATABASE"):
        _drop_postgres()


# --- the whole run -------------------------------------------------------------------------------


def run_child(script: str, database: str, options: list[str]) -> dict[str, Any]:
    """One run of `script --one database options` in a process of its own (a fresh database
    each): the JSON it printed, with its wall time. Shared by every bench in this folder."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, script, "--one", database, *options],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        return {"error": f"exit status {done.returncode}; its traceback is on standard error"}
    result = dict(json.loads(done.stdout))
    result["wall_seconds"] = round(time.perf_counter() - started, 1)
    return result


def each_database(script: str, options: list[str], only: str | None) -> dict[str, Any]:
    """`script` run on SQLite, then on PostgreSQL when a server is named; `only` picks one."""
    results: dict[str, Any] = {}
    for database in ("sqlite", "postgres"):
        if only and only != database:
            results[database] = {"skipped": f"--only {only}"}
        elif database == "postgres" and not _postgres_url():
            results[database] = {
                "skipped": "set BENCH_DATABASE_URL (or DATABASE_URL) to a PostgreSQL server"
            }
        else:
            results[database] = run_child(script, database, options)
    return results


NOTES = [
    "server time = time around django.test.Client.get(): URL resolving, every middleware "
    "(sessions, auth, CSRF, ...), the view, the template rendering; no network, no HTTP server",
    "queries = SQL statements of one request (CaptureQueriesContext), counted on a request after "
    "the warm-up; the timed requests run without capturing",
    "the test Client keeps the database connection open between requests; with SQLite the "
    "product sets CONN_MAX_AGE=0, so a real server opens a connection (and runs its PRAGMAs, with "
    "a cold page cache) per request: queue_first_page_new_connection measures that",
    "seeding bypasses the ORM (executemany / COPY); SQLite: the search insert triggers are dropped "
    "during the load and the FTS5 table filled with one INSERT ... SELECT, then 'optimize'; "
    "PostgreSQL: secondary indexes (GIN included) dropped and made again after COPY, FK checks "
    "skipped during COPY (session_replication_role = replica; the rows are consistent by "
    "construction), then VACUUM ANALYZE",
    "open tickets carry the clock fields that deskside.tickets.clocks.refresh() computes from "
    "their (seeded) history at seeding time",
    "search words: common in ~30% of the messages, two words in ~13%, middling in ~0.8% (the "
    "costliest for PostgreSQL, which reads the newest 20,000 rows and then asks its GIN index: "
    "see deskside.tickets.search._pg_newest), rare in 30 messages",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--one",
        choices=["sqlite", "postgres"],
        help="one database in this process (used by the bench itself)",
    )
    parser.add_argument(
        "--tickets", type=int, default=TICKETS, help="tickets to seed (default 1,000,000)"
    )
    parser.add_argument(
        "--requests", type=int, default=REQUESTS, help="timed requests per page (default 50)"
    )
    parser.add_argument(
        "--warmup", type=int, default=WARMUP, help="untimed requests per page first (default 5)"
    )
    parser.add_argument(
        "--page-seconds",
        type=float,
        default=0.0,
        help="stop timing a page after this many seconds, once 10 requests are timed "
        "(default 0: always --requests)",
    )
    parser.add_argument("--only", choices=["sqlite", "postgres"], help="run one database only")
    args = parser.parse_args()
    global PAGE_SECONDS
    PAGE_SECONDS = args.page_seconds
    if args.one:
        print(json.dumps(run_one(args.one, args.tickets, args.requests, args.warmup)))
        return
    load = os.getloadavg()  # a busy machine slows every figure below
    started = time.perf_counter()
    options = ["--tickets", str(args.tickets), "--requests", str(args.requests)]
    options += ["--warmup", str(args.warmup), "--page-seconds", str(args.page_seconds)]
    results = each_database(__file__, options, args.only)
    print(
        json.dumps(
            {
                "benchmark": "desk",
                "tickets": args.tickets,
                "requests_per_page": args.requests,
                "warmup_requests_per_page": args.warmup,
                "page_seconds": args.page_seconds,
                "python": sys.version.split()[0],
                "cpus": os.cpu_count(),
                "load_average_at_start": [round(x, 2) for x in load],
                "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
                "seconds": round(time.perf_counter() - started, 1),
                "targets": {
                    "queue_p95_ms": TARGET_QUEUE_P95_MS,
                    "queue_queries": TARGET_QUEUE_QUERIES,
                    "search_p95_ms": TARGET_SEARCH_P95_MS,
                },
                "meets_targets": {
                    db: r["meets_targets"] for db, r in results.items() if "meets_targets" in r
                },
                **results,
                "notes": NOTES,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()

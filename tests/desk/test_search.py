"""Full-text search with the database's own engine (FTS5 on SQLite, tsvector on PostgreSQL)."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from django.db.models import Value

from deskside.mail.intake import ingest
from deskside.mail.models import Door
from deskside.tickets import actions, search
from deskside.tickets.models import Message, MessageKind, Ticket
from deskside.tickets.models.ticket import parse_ref
from deskside.tickets.search import fts5_query, search_tickets
from tests.desk.conftest import MONDAY_10, open_ticket, refs_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def monday(time_machine):
    time_machine.move_to(MONDAY_10, tick=False)


def test_finds_words_in_subjects_and_in_messages(people):
    invoice = open_ticket(people, 3, "[Sev 3] Invoice totals are wrong", text="See attachment.")
    export = open_ticket(people, 2, "[Sev 2] Problem", text="The nightly export crashes.")
    open_ticket(people, 4, "[Sev 4] How do I log in?", text="Where is the button?")

    assert search_tickets("invoice", 10) == [invoice.pk]
    assert search_tickets("NIGHTLY export", 10) == [export.pk]
    assert search_tickets("invoice nightly", 10) == []  # every word must match
    assert search_tickets("crashes", 10) == [export.pk]


def test_several_matching_messages_give_the_ticket_once(people):
    ticket = open_ticket(people, 2, "[Sev 2] Printer jam", text="The printer jams.")
    actions.add_note(ticket, "Printer model 42", by=actions.Actor.staff(people.agent))
    actions.reply(ticket, "Which printer do you use?", by=actions.Actor.staff(people.agent))

    assert search_tickets("printer", 10) == [ticket.pk]


def test_limit_is_respected(people):
    for _ in range(5):
        open_ticket(people, 3, "[Sev 3] Slow dashboard")
    assert len(search_tickets("dashboard", 3)) == 3
    assert search_tickets("dashboard", 0) == []


def test_a_common_word_ranks_only_the_newest_matches(people, monkeypatch):
    monkeypatch.setattr(search, "CANDIDATES", 2)
    tickets = [open_ticket(people, 3, f"[Sev 3] Toner empty {i}", text="x") for i in range(4)]
    newest = {tickets[-1].pk, tickets[-2].pk}
    assert set(search_tickets("toner", 10)) == newest


@pytest.mark.parametrize(
    ("recent", "window"),
    [(1000, 1000), (3, 1000), (3, 4)],
    ids=["newest-rows-hold-them", "index-window-holds-them", "index-older-rows-too"],
)
def test_every_path_finds_the_newest_matches(people, monkeypatch, recent, window):
    """PostgreSQL reads the newest rows, then a window of the index, then the older rows
    (search._pg_newest); whichever finds them, the newest matches are the ones ranked. On
    SQLite (one path) this checks the same result through FTS5's rowid order."""
    monkeypatch.setattr(search, "CANDIDATES", 2)
    monkeypatch.setattr(search, "RECENT", recent)
    monkeypatch.setattr(search, "WINDOW", window)
    matching = []
    for i in range(12):
        word = "kerberos" if i in (1, 4, 6, 9) else "printer"
        matching.append(open_ticket(people, 3, f"[Sev 3] Ticket {i}", text=f"The {word} fails."))

    found = search_tickets("kerberos", 10)

    assert set(found) == {matching[9].pk, matching[6].pk}


def test_the_index_follows_edits_and_deletes(people):
    ticket = open_ticket(people, 2, "[Sev 2] Scanner offline", text="Since the firmware update.")
    message = ticket.messages.get()

    Message.objects.filter(pk=message.pk).update(text="The barcode reader is offline.")
    Ticket.objects.filter(pk=ticket.pk).update(subject="[Sev 2] Reader offline")

    assert search_tickets("firmware", 10) == []
    assert search_tickets("scanner", 10) == []
    assert search_tickets("barcode", 10) == [ticket.pk]
    assert search_tickets("reader", 10) == [ticket.pk]

    ticket.delete()
    assert search_tickets("barcode", 10) == []
    assert search_tickets("reader", 10) == []


def test_internal_notes_can_be_left_out(people):
    ticket = open_ticket(people, 2)
    actions.add_note(
        ticket, "Suspect the proxy configuration", by=actions.Actor.staff(people.agent)
    )

    assert search_tickets("proxy", 10) == [ticket.pk]
    assert search_tickets("proxy", 10, public_only=True) == []
    assert search_tickets("export", 10, public_only=True) == [ticket.pk]


def test_the_protocols_form_letters_are_not_searched(people):
    """The acknowledgement is the same letter on every ticket: its words would match them all
    and push the clients' own messages out of the newest candidates."""
    client_wrote = open_ticket(people, 3, "[Sev 3] Facturen", text="De factuur is nooit ontvangen.")
    mailed = ingest(
        b"From: Claire <claire@acme.example>\r\nTo: support@deskside.localhost\r\n"
        b"Subject: Severity 2 - printer jam\r\nMessage-ID: <jam@acme.example>\r\n\r\n"
        b"Paper is stuck in tray 2.\r\n",
        door=Door.PIPE,
    )
    pk = parse_ref(mailed.ticket or "")
    assert pk is not None, mailed
    ticket = Ticket.objects.get(pk=pk)
    letter = ticket.messages.get(kind=MessageKind.ACKNOWLEDGEMENT)
    assert "We hebben uw mail ontvangen" in letter.text  # Claire reads Dutch

    assert search_tickets("ontvangen", 10) == [client_wrote.pk]
    assert search_tickets("tray", 10) == [ticket.pk]
    actions.reply(
        ticket, "We hebben de foto van lade 2 ontvangen.", by=actions.Actor.staff(people.agent)
    )
    assert search_tickets("ontvangen", 10) == [ticket.pk, client_wrote.pk]  # an agent's reply


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"unbalanced',
        "AND",
        "export OR",
        "NOT export",
        "(export",
        "NEAR(export fails)",
        "subject:export",
        "export*",
        "-export",
        "^export",
        "'; DROP TABLE tickets_ticket; --",
        "***",
        "\x00",
        "é" * 300,
        "",
        "   ",
    ],
)
def test_any_input_is_a_query_never_an_error(people, query):
    open_ticket(people, 2)
    assert isinstance(search_tickets(query, 10), list)


def test_query_syntax_is_quoted_for_fts5():
    assert fts5_query(['say"hi', "NEAR(x"]) == '"say""hi" "NEAR(x"'


def test_accented_words_are_found(people):
    ticket = open_ticket(people, 1, "[Sev 1] Sévérité: facturation bloquée")
    assert search_tickets("sévérité bloquée", 10) == [ticket.pk]
    # FTS5's tokenizer also folds accents away; PostgreSQL's 'simple' configuration does not
    # (README: the unaccent extension is not assumed), so there the plain spelling finds nothing.
    folded = [ticket.pk] if connection.vendor == "sqlite" else []
    assert search_tickets("severite bloquee", 10) == folded


def test_the_index_is_installed():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            triggers = {row[0] for row in cursor.fetchall()}
            assert {
                "ticket_search_ticket_insert",
                "ticket_search_ticket_update",
                "ticket_search_ticket_delete",
                "ticket_search_message_insert",
                "ticket_search_message_update",
                "ticket_search_message_delete",
            } <= triggers
        else:
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes")
            indexes = dict(cursor.fetchall())
            assert "USING gin" in indexes["ticket_subject_search"]
            assert "USING gin" in indexes["message_text_search"]
            # Partial, without the form letters; search states the same condition.
            assert "WHERE" in indexes["message_text_search"]
            for kind in search.FORM_LETTERS:
                assert f"'{kind}'" in indexes["message_text_search"]


def test_the_migration_and_search_agree_on_the_form_letters():
    migration = importlib.import_module(
        "deskside.tickets.migrations.0009_search_without_form_letters"
    )
    assert (
        "({})".format(", ".join(f"'{kind}'" for kind in search.FORM_LETTERS))
        == migration.FORM_LETTERS
    )


def test_search_page(agent, people):
    ticket = open_ticket(people, 2, "[Sev 2] Payroll export", text="Payroll run stops.")
    other = open_ticket(people, 3, "[Sev 3] Login", text="Cannot log in.")

    html = agent.get("/desk/search/", {"q": "payroll"}).content.decode()
    assert refs_in(html) == [ticket.ref]
    assert "1 ticket match “payroll”" in html

    html = agent.get("/desk/search/", {"q": 'payroll "OR'}).content.decode()
    assert "No ticket matches" in html

    response = agent.get("/desk/search/", {"q": other.ref.lower()})
    assert response.status_code == 302
    assert response["Location"] == f"/desk/ticket/{other.ref}/"


def test_search_page_uses_the_engine_not_a_scan(agent, people, django_assert_max_num_queries):
    for i in range(30):
        open_ticket(people, 3, f"[Sev 3] Report {i}", text="Quarterly report is empty.")
    # 11: the session, the user and the bell (3), the clients whose name or address starts
    # with the query (1: none here), PostgreSQL's bounded search (up to 3 per kind, see
    # search._pg_newest; SQLite needs 1), the rows (1). Never a query per row.
    with django_assert_max_num_queries(11):
        html = agent.get("/desk/search/", {"q": "quarterly"}).content.decode()
    assert len(refs_in(html)) == 30


def test_finds_a_clients_tickets_by_address_and_name(people):
    older = open_ticket(people, 3, "[Sev 3] Invoices", text="x")
    newer = open_ticket(people, 2, "[Sev 2] Export", text="y")
    colleagues = open_ticket(people, 2, "[Sev 2] Colleague", contact=people.colleague, text="z")
    open_ticket(people, 2, "[Sev 2] Other", contact=people.other_client, text="w")
    claire = [newer.pk, older.pk]

    for query in ("claire@acme.example", "CLAIRE@ACME.EXAMPLE", "Claire@Acme", "claire"):
        clients = search.matching_clients(query)
        assert clients == [people.client], query
        assert newest_of(clients, 10) == claire, query
    for query in ("Claire Peeters", "claire  peeters", "Claire Pee"):
        assert search.matching_clients(query) == [people.client], query
    assert search.matching_clients("Peeters") == []  # the start of a name, not any word of it
    assert search.matching_clients("c") == []  # too short to mean anyone
    assert newest_of([people.client], 1) == [newer.pk]
    assert newest_of([people.client, people.colleague], 1) == [colleagues.pk]
    assert newest_of([people.client, people.colleague], 2) == [colleagues.pk, newer.pk]
    assert newest_of([], 10) == []


def newest_of(contacts, limit):
    found = Ticket.objects.filter(pk__in=search.newest_tickets_of(contacts, limit))
    return list(found.order_by("-id").values_list("pk", flat=True))


def test_an_exact_address_comes_first(people):
    from deskside.accounts.models import Contact

    longer = Contact.objects.create(email="claire@acme.example.org", name="Aaron Claire")
    assert search.matching_clients("claire@acme.example") == [people.client, longer]
    assert set(search.matching_clients("cla")) == {people.client, longer}


def test_client_search_reads_indexes_not_tables(people):
    """Contacts by a range of the indexes on their folded name and address; tickets by the
    index on their contact, one range per client (never the tickets table in id order)."""
    from deskside.accounts.models import Contact, Folded

    start, end = Folded(Value("cla")), Folded(Value("cla\U0010ffff"))
    plans = []
    for field, index in (("name", "contact_name_folded"), ("email", "contact_email_folded")):
        contacts = Contact.objects.alias(key=Folded(field)).filter(key__gte=start, key__lt=end)
        plans.append((index, _plan(*contacts.order_by("key", "id")[:20].query.sql_with_params())))
    tickets = _plan(
        "SELECT id FROM tickets_ticket WHERE contact_id = %s ORDER BY id DESC LIMIT %s",
        [people.client.pk, 50],
    )
    for index, plan in plans:
        if connection.vendor == "sqlite":
            # SQLite's LOWER(email) is the unique index's expression too: either serves.
            assert index in plan or "contact_email_unique_ci" in plan, plan
        else:
            assert index in plan, plan
    assert "contact_id" in tickets and "SCAN" not in tickets.replace("INDEX", ""), tickets


def _plan(sql, params):
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return " ".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = off")  # a few test rows: seq scan is cheaper
        cursor.execute(f"EXPLAIN {sql}", params)
        return " ".join(str(row[0]) for row in cursor.fetchall())


def test_search_page_lists_a_clients_tickets_and_offers_the_words(
    agent, people, django_assert_max_num_queries
):
    mentions = open_ticket(
        people, 3, "[Sev 3] Access", contact=people.colleague, text="Ask Claire Peeters."
    )
    own = open_ticket(people, 2, "[Sev 2] Export", text="Export fails.")

    with django_assert_max_num_queries(6):  # the session, the user, the bell; clients; tickets
        html = agent.get("/desk/search/", {"q": "Claire Peeters"}).content.decode()

    assert refs_in(html) == [own.ref]
    said = " ".join(html.split())
    contact_page = f"/desk/customers/contact/{people.client.pk}/"
    assert (
        f'Client matching “Claire Peeters”: <a href="{contact_page}">Claire Peeters</a> '
        "&lt;Claire@Acme.example&gt;."
    ) in said
    assert '<a href="?q=Claire+Peeters&amp;words=1">' in html
    words = agent.get("/desk/search/", {"q": "Claire Peeters", "words": "1"}).content.decode()
    assert refs_in(words) == [mentions.ref]
    assert "Client matching" not in words

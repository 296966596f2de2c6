"""The protocol's data as Deskside ships it (docs/protocol.md, The four levels; Effort and
clocks; Channel and hours): the four levels, the Brussels calendar and Belgium's public holidays.

The migrations seed a new database with these (0002_seed_protocol, 0007_public_holidays), and
the tests re-seed after a flush. `apps` is the app registry to write through: a migration's
historical one, or django.apps.apps.
"""

# ruff: noqa: E501 (the definitions are data, a line each, as the lead reads them in the admin)
from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.apps.registry import Apps

H = timedelta(hours=1)

LEVELS: list[dict[str, Any]] = [
    {
        "level": 1,
        "effort": "maximum",
        "first_response": timedelta(minutes=30),
        "update_interval": 2 * H,
        "goal": 8 * H,
        "goal_milestones": ["solution", "temporary_solution"],
        "documentation": None,
        "name_en": "Critical",
        "name_nl": "Kritiek",
        "name_fr": "Critique",
        "name_de": "Kritisch",
        "definition_en": "The production application is down or there is a major disturbance for a client: the client cannot perform their normal functions. Mission critical.",
        "definition_nl": "De productietoepassing ligt plat of er is een grote verstoring voor een klant: de klant kan zijn normale taken niet uitvoeren. Bedrijfskritisch.",
        "definition_fr": "L'application de production est à l'arrêt ou un client subit une perturbation majeure : il ne peut pas exercer ses fonctions normales. Critique pour l'activité.",
        "definition_de": "Die Produktionsanwendung ist ausgefallen oder ein Kunde ist erheblich gestört: Der Kunde kann seine normalen Aufgaben nicht erledigen. Geschäftskritisch.",
    },
    {
        "level": 2,
        "effort": "maximum",
        "first_response": 2 * H,
        "update_interval": 8 * H,
        "goal": 24 * H,
        "goal_milestones": ["solution", "workaround"],
        "documentation": None,
        "name_en": "Major",
        "name_nl": "Ernstig",
        "name_fr": "Majeur",
        "name_de": "Schwerwiegend",
        "definition_en": "Loss of functionality or performance for multiple clients who cannot perform their normal functions: a major feature or product failure with an inconvenient workaround or none. The application may be available but severely limited.",
        "definition_nl": "Verlies van functionaliteit of prestaties voor meerdere klanten die hun normale taken niet kunnen uitvoeren: een grote functie of het product faalt, met een omslachtige of geen omweg. De toepassing is misschien beschikbaar, maar sterk beperkt.",
        "definition_fr": "Perte de fonctionnalité ou de performance pour plusieurs clients qui ne peuvent pas exercer leurs fonctions normales : défaillance d'une fonction majeure ou du produit, avec un contournement malcommode ou aucun. L'application peut être disponible mais fortement limitée.",
        "definition_de": "Verlust von Funktionalität oder Leistung für mehrere Kunden, die ihre normalen Aufgaben nicht erledigen können: Ausfall einer wichtigen Funktion oder des Produkts mit umständlicher oder ohne Umgehungslösung. Die Anwendung ist eventuell verfügbar, aber stark eingeschränkt.",
    },
    {
        "level": 3,
        "effort": "medium",
        "first_response": 8 * H,
        "update_interval": 24 * H,
        "goal": 80 * H,
        "goal_milestones": ["solution"],
        "documentation": None,
        "name_en": "Minor",
        "name_nl": "Beperkt",
        "name_fr": "Mineur",
        "name_de": "Gering",
        "definition_en": "Loss of functionality or performance for multiple clients whose normal functions are impacted: a minor failure with a convenient workaround, a minor performance degradation, or no impact on production.",
        "definition_nl": "Verlies van functionaliteit of prestaties voor meerdere klanten van wie de normale taken hinder ondervinden: een kleine fout met een handige omweg, een lichte prestatievermindering, of geen impact op de productie.",
        "definition_fr": "Perte de fonctionnalité ou de performance pour plusieurs clients dont les fonctions normales sont affectées : défaillance mineure avec un contournement commode, légère dégradation des performances, ou aucun impact sur la production.",
        "definition_de": "Verlust von Funktionalität oder Leistung für mehrere Kunden, deren normale Aufgaben beeinträchtigt sind: ein kleiner Fehler mit bequemer Umgehungslösung, eine geringe Leistungsminderung oder keine Auswirkung auf die Produktion.",
    },
    {
        "level": 4,
        "effort": "low",
        "first_response": 16 * H,
        "update_interval": None,
        "goal": 80 * H,
        "goal_milestones": ["answer", "solution"],
        "documentation": 160 * H,
        "name_en": "Low",
        "name_nl": "Laag",
        "name_fr": "Faible",
        "name_de": "Niedrig",
        "definition_en": "Minor loss of functionality, feature requests and how-to questions: a problem with the design documentation or the operations documentation, which ccs2 answers and then corrects the documentation.",
        "definition_nl": "Klein functieverlies, verzoeken om nieuwe functies en hoe-doe-ik-vragen: een probleem met de ontwerpdocumentatie of de operationele documentatie, dat ccs2 beantwoordt en waarna het de documentatie verbetert.",
        "definition_fr": "Perte mineure de fonctionnalité, demandes d'évolution et questions pratiques : un problème dans la documentation de conception ou d'exploitation, auquel ccs2 répond avant de corriger la documentation.",
        "definition_de": "Geringer Funktionsverlust, Funktionswünsche und Anwendungsfragen: ein Problem mit der Design- oder der Betriebsdokumentation, das ccs2 beantwortet und anschließend in der Dokumentation korrigiert.",
    },
]

CALENDAR: dict[str, Any] = {
    "timezone": "Europe/Brussels",
    "opening_hours": [[day, "09:00", "17:00"] for day in range(5)],
    "holiday_country": "BE",
    "is_default": True,
}
HOLIDAY_COUNTRY = "BE"
HOLIDAY_YEARS = range(2000, 2101)


def protocol(apps: Apps) -> None:
    """The four levels and the default calendar; seeding twice changes nothing."""
    severity_level = apps.get_model("tickets", "SeverityLevel")
    business_calendar = apps.get_model("tickets", "BusinessCalendar")
    # The model as the migration that runs this knows it: a field added later is left out.
    known = {f.name for f in severity_level._meta.get_fields()}
    for row in LEVELS:
        defaults = {name: value for name, value in row.items() if name in known}
        severity_level.objects.update_or_create(level=row["level"], defaults=defaults)
    business_calendar.objects.get_or_create(name="Brussels office hours", defaults=CALENDAR)


def public_holidays(apps: Apps) -> None:
    """Belgium's public holidays 2000-2100, from the `holidays` package. Stored because that
    package loads every country's calendar when imported (about 30 MB and up to a second per
    process, paid by each `deskside ingest` an MTA runs); the clocks read ~1,100 rows instead.
    The package is still the source of any year or country not stored."""
    import holidays  # only here: see above

    public_holiday = apps.get_model("tickets", "PublicHoliday")
    known = holidays.country_holidays(HOLIDAY_COUNTRY, years=HOLIDAY_YEARS, language="en_US")
    public_holiday.objects.bulk_create(
        [
            public_holiday(country=HOLIDAY_COUNTRY, date=day, name=name[:100])
            for day, name in known.items()
        ],
        ignore_conflicts=True,  # seeding twice (tests re-seed after a flush) changes nothing
    )

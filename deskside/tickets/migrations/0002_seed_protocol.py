"""Seed the protocol's data (docs/protocol.md, The four levels; Effort and clocks; Channel and
hours): the four levels and the Brussels calendar."""

from datetime import timedelta

from django.db import migrations

H = timedelta(hours=1)

LEVELS = [
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


def seed(apps, schema_editor):
    SeverityLevel = apps.get_model("tickets", "SeverityLevel")
    BusinessCalendar = apps.get_model("tickets", "BusinessCalendar")
    for row in LEVELS:
        SeverityLevel.objects.update_or_create(level=row["level"], defaults=row)
    BusinessCalendar.objects.get_or_create(
        name="Brussels office hours",
        defaults={
            "timezone": "Europe/Brussels",
            "opening_hours": [[day, "09:00", "17:00"] for day in range(5)],
            "holiday_country": "BE",
            "is_default": True,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]

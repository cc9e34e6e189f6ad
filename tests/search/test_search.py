"""Search of requests: every kind of query, through the service and the agents' page, on SQLite and PostgreSQL."""

import html
import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guichet.search.models import RequestSearch
from guichet.search.services import parse_query, search_requests
from guichet.service_requests.messaging import post_agent_message, post_citizen_message
from guichet.service_requests.models import ServiceRequest
from guichet.service_requests.services import create_request
from tests.conftest import client_for, make_agent, make_citizen, make_service
from tests.service_requests.conftest import make_procedure

from .conftest import FORM, address, submitted

pytestmark = pytest.mark.django_db
URL = "/agents/recherche/"


def codes(user, organisation, text):
    """Tracking codes found by `user` (an agent who passed the second factor, as in a signed-in session)."""
    user.is_verified = lambda: True
    return [r.tracking_code for r in search_requests(user, organisation, text)]


def page_text(response):
    return html.unescape(response.content.decode())


@pytest.fixture
def lefevre(organisation):
    return make_citizen(organisation, email="helene.lefevre@example.org", first_name="Hélène", last_name="Lefèvre",
                        phone="+33612345678")


@pytest.fixture
def pothole(street_procedure, lefevre):
    return submitted(street_procedure, citizen=lefevre, lieu=address("12 rue des Lilas"), quartier="gare",
                     description="Un trou profond devant l'école, il faudrait réparer le trottoir vite.")


@pytest.fixture
def lamp(street_procedure):
    return submitted(street_procedure, contact_name="Jean-Noël Bœuf", contact_email="jn.boeuf@example.net",
                     contact_phone="06 98 76 54 32", nature="eclairage", lieu=address("3 avenue Foch"),
                     quartier="centre", description="Les lampadaires de l'avenue sont éteints.",
                     rappel="+33145678901")


# --- each kind of query -------------------------------------------------------------------------------------


def test_tracking_code_exact_or_typed_loosely(org_admin, organisation, pothole, lamp):
    code = pothole.tracking_code
    for typed in (code, code.lower(), code.replace("-", ""), " " + code.lower().replace("-", " ") + " "):
        assert codes(org_admin, organisation, typed) == [code], typed


def test_tracking_code_jumps_to_the_request(org_admin, organisation, pothole):
    client = client_for(organisation, org_admin)
    response = client.get(URL, {"q": pothole.tracking_code.lower().replace("-", "")})
    assert response.status_code == 302
    assert response.url == f"/agents/demandes/{pothole.tracking_code}/"


def test_citizen_name_without_accents_case_or_whole_words(org_admin, organisation, pothole, lamp):
    for typed in ("Hélène Lefèvre", "helene lefevre", "LEFEVRE", "Lefèv", "lefevre helene"):
        assert codes(org_admin, organisation, typed) == [pothole.tracking_code], typed
    assert codes(org_admin, organisation, "Jean-Noël Bœuf") == [lamp.tracking_code]
    assert codes(org_admin, organisation, "jean noel boeuf") == [lamp.tracking_code]


def test_email_of_the_citizen_or_of_the_contact(org_admin, organisation, pothole, lamp):
    assert codes(org_admin, organisation, "helene.lefevre@example.org") == [pothole.tracking_code]
    assert codes(org_admin, organisation, "JN.Boeuf@Example.net") == [lamp.tracking_code]


@pytest.mark.parametrize("typed", ["06 12 34 56 78", "0612345678", "06.12.34.56.78", "06-12-34-56-78",
                                   "+33612345678", "+33 6 12 34 56 78", "0033 6 12 34 56 78", "+33 (0)6 12 34 56 78"])
def test_phone_of_the_citizen_in_any_french_format(typed, org_admin, organisation, pothole, lamp):
    assert codes(org_admin, organisation, typed) == [pothole.tracking_code]


def test_phone_of_the_contact_and_phone_answers(org_admin, organisation, pothole, lamp):
    assert codes(org_admin, organisation, "+33698765432") == [lamp.tracking_code]
    assert codes(org_admin, organisation, "01 45 67 89 01") == [lamp.tracking_code]


def test_address_and_district(org_admin, organisation, pothole, lamp):
    assert codes(org_admin, organisation, "12 rue des Lilas") == [pothole.tracking_code]
    assert codes(org_admin, organisation, "lilas") == [pothole.tracking_code]
    assert codes(org_admin, organisation, "avenue foch") == [lamp.tracking_code]
    assert codes(org_admin, organisation, "Gare") == [pothole.tracking_code]
    assert codes(org_admin, organisation, "centre-ville") == [lamp.tracking_code]
    assert set(codes(org_admin, organisation, "Saint-Aubin")) == {pothole.tracking_code, lamp.tracking_code}


def test_words_of_the_answers_and_choice_labels(org_admin, organisation, pothole, lamp):
    assert codes(org_admin, organisation, "trou profond") == [pothole.tracking_code]
    assert codes(org_admin, organisation, "éclairage public") == [lamp.tracking_code]
    assert codes(org_admin, organisation, "nid de poule") == [pothole.tracking_code]
    assert codes(org_admin, organisation, "ECOLE") == [pothole.tracking_code]
    # The words of the procedure's title are part of what a request says.
    assert set(codes(org_admin, organisation, "voirie")) == {pothole.tracking_code, lamp.tracking_code}


def test_every_word_must_be_found(org_admin, organisation, pothole, lamp):
    assert codes(org_admin, organisation, "lilas trottoir") == [pothole.tracking_code]
    assert codes(org_admin, organisation, "lilas lampadaires") == []
    assert codes(org_admin, organisation, "xylophone") == []


def test_singular_plural_and_stemming(org_admin, organisation, pothole, lamp):
    # « réparations » finds « réparer », « lampadaire » finds « lampadaires », « trottoirs » finds « trottoir ».
    assert codes(org_admin, organisation, "réparations") == [pothole.tracking_code]
    assert codes(org_admin, organisation, "lampadaire") == [lamp.tracking_code]
    assert codes(org_admin, organisation, "trottoirs") == [pothole.tracking_code]
    assert codes(org_admin, organisation, "éteint") == [lamp.tracking_code]


def test_words_found_in_the_name_rank_before_words_found_in_the_text(org_admin, organisation, street_procedure):
    in_text = submitted(street_procedure, contact_name="Claire Petit", contact_email="c.petit@example.org",
                        description="Le voisin, M. Bernard, a vu le trou.")
    in_name = submitted(street_procedure, contact_name="Paul Bernard", contact_email="p.bernard@example.org",
                        description="Trou dans la rue.")
    assert codes(org_admin, organisation, "bernard") == [in_name.tracking_code, in_text.tracking_code]
    del in_text


def test_messages_and_answers_are_indexed_in_the_same_transaction(org_admin, organisation, pothole, roads_agent):
    assert codes(org_admin, organisation, "cuvette") == []
    post_citizen_message(pothole, pothole.citizen, "Une cuvette se forme aussi à côté.")
    assert codes(org_admin, organisation, "cuvette") == [pothole.tracking_code]
    post_agent_message(pothole, roads_agent, "Une équipe passera jeudi avec du bitume.")
    assert codes(org_admin, organisation, "bitume jeudi") == [pothole.tracking_code]
    post_agent_message(pothole, roads_agent, "Le rebouchage est terminé.", answer=True)
    assert codes(org_admin, organisation, "rebouchage") == [pothole.tracking_code]


def test_internal_notes_are_not_searched_as_messages(org_admin, organisation, pothole):
    from guichet.service_requests.agent_services import add_internal_note

    add_internal_note(pothole, org_admin, "Note confidentielle zanzibar.")
    assert codes(org_admin, organisation, "zanzibar") == []


def test_drafts_are_never_found(org_admin, organisation, street_procedure, lefevre):
    create_request(organisation=organisation, version=street_procedure.current_version,
                   procedure=street_procedure, citizen=lefevre, data={"description": "brouillon secret"})
    assert codes(org_admin, organisation, "Lefèvre") == []
    assert codes(org_admin, organisation, "brouillon") == []


# --- permissions ----------------------------------------------------------------------------------------------


def test_an_agent_finds_only_the_requests_of_their_services(organisation, pothole, civil_procedure, roads_agent,
                                                             civil_agent, org_admin, lefevre):
    civil = submitted(civil_procedure, citizen=lefevre, description="Copie intégrale.")
    assert codes(roads_agent, organisation, "Lefèvre") == [pothole.tracking_code]
    assert codes(civil_agent, organisation, "Lefèvre") == [civil.tracking_code]
    assert set(codes(org_admin, organisation, "Lefèvre")) == {pothole.tracking_code, civil.tracking_code}
    # The tracking code of another service's request is not a way in either.
    assert codes(civil_agent, organisation, pothole.tracking_code) == []
    response = client_for(organisation, civil_agent).get(URL, {"q": pothole.tracking_code})
    assert response.status_code == 200
    assert f"/agents/demandes/{pothole.tracking_code}/" not in page_text(response)


def test_an_agent_without_service_finds_nothing(organisation, pothole):
    loner = make_agent(organisation, email="seul@example.org")
    assert codes(loner, organisation, "Lefèvre") == []


def test_another_collectivite_is_never_searched(organisation, other_organisation, pothole, org_admin):
    montclair_service = make_service(other_organisation, name="Voirie", slug="voirie")
    montclair_procedure = make_procedure(other_organisation, montclair_service, slug="signalement-voirie",
                                         title="Signaler un problème de voirie", who="anyone", form=FORM)
    victim = make_citizen(other_organisation, email="helene.lefevre@example.org", first_name="Hélène",
                          last_name="Lefèvre", phone="+33612345678")
    theirs = submitted(montclair_procedure, citizen=victim, lieu=address("12 rue des Lilas"))
    for typed in ("Lefèvre", "0612345678", "lilas", "helene.lefevre@example.org"):
        assert codes(org_admin, organisation, typed) == [pothole.tracking_code], typed
    assert codes(org_admin, organisation, theirs.tracking_code) == []
    client = client_for(organisation, org_admin)
    response = client.get(URL, {"q": theirs.tracking_code})
    assert response.status_code == 200 and f"/agents/demandes/{theirs.tracking_code}/" not in page_text(response)
    # Montclair's own administrator finds theirs only.
    montclair_admin = make_agent(other_organisation, email="admin@montclair.example.org", is_org_admin=True)
    assert codes(montclair_admin, other_organisation, "Lefèvre") == [theirs.tracking_code]


def test_citizens_and_visitors_have_no_search(organisation, citizen, pothole):
    response = client_for(organisation, citizen).get(URL, {"q": "Lefèvre"})
    assert response.status_code == 403
    response = client_for(organisation).get(URL, {"q": "Lefèvre"})
    assert response.status_code == 302 and "/agents/connexion/" in response.url


def test_an_agent_without_second_factor_is_sent_to_sign_in(organisation, roads_agent, pothole):
    from django.test import Client

    client = Client(HTTP_HOST=f"{organisation.slug}.localhost")
    client.force_login(roads_agent, backend="guichet.accounts.backends.OrganisationBackend")
    response = client.get(URL, {"q": "Lefèvre"})
    assert response.status_code == 302 and "Lef" not in response.content.decode()


# --- personal data leaves the index ------------------------------------------------------------------------------


def test_an_anonymised_request_is_no_longer_found_by_its_personal_data(org_admin, organisation, pothole, lamp):
    from guichet.workflows.services import anonymise

    anonymise(pothole)
    anonymise(lamp)
    for typed in ("Lefèvre", "helene.lefevre@example.org", "06 12 34 56 78", "lilas", "trou profond",
                  "Bœuf", "06 98 76 54 32", "01 45 67 89 01", "avenue foch"):
        assert codes(org_admin, organisation, typed) == [], typed
    # What is not personal stays searchable: the tracking code, the district, the procedure.
    assert codes(org_admin, organisation, pothole.tracking_code) == [pothole.tracking_code]
    assert codes(org_admin, organisation, "gare") == [pothole.tracking_code]
    for row in RequestSearch.objects.filter(request__in=[pothole, lamp]):
        stored = row.identity + row.content
        for word in ("lefevre", "helene", "0612345678", "lilas", "boeuf", "foch", "trou"):
            assert word not in stored
    response = client_for(organisation, org_admin).get(URL, {"q": "gare"})
    assert "Données effacées" in page_text(response) and "Lilas" not in page_text(response)


def test_a_deleted_account_leaves_the_index(org_admin, organisation, pothole, lefevre):
    from guichet.accounts.services import erase_citizen

    erase_citizen(lefevre)
    for typed in ("Lefèvre", "Hélène", "helene.lefevre@example.org", "0612345678", "trottoir"):
        assert codes(org_admin, organisation, typed) == [], typed


def test_a_citizen_who_changes_name_email_or_phone_is_found_by_the_new_ones(org_admin, organisation, pothole,
                                                                              lefevre):
    lefevre.last_name = "Durand"
    lefevre.email = "helene.durand@example.org"
    lefevre.phone = "+33711223344"
    lefevre.save()
    assert codes(org_admin, organisation, "Lefèvre") == []
    assert codes(org_admin, organisation, "Durand") == [pothole.tracking_code]
    assert codes(org_admin, organisation, "helene.durand@example.org") == [pothole.tracking_code]
    assert codes(org_admin, organisation, "07 11 22 33 44") == [pothole.tracking_code]


def test_a_login_does_not_touch_the_index(organisation, pothole, lefevre, django_assert_num_queries):
    lefevre.last_name = "Ignoré"  # not saved by the login below
    with django_assert_num_queries(1):
        lefevre.save(update_fields=["last_login"])


# --- the page: bad input, pagination, constant queries -------------------------------------------------------------


def test_the_page_without_query_shows_the_box_only(organisation, roads_agent):
    response = client_for(organisation, roads_agent).get(URL)
    text = page_text(response)
    assert response.status_code == 200
    assert '<label for="id_q">Rechercher une demande' in text and "error-summary" not in text


@pytest.mark.parametrize("typed, message", [
    ("", "Saisissez ce que vous cherchez."),
    ("    ", "Saisissez ce que vous cherchez."),
    ("x" * 1000, "La recherche est trop longue : 200 caractères au plus (vous en avez saisi 1000)."),
    ("&|!:*()'", "Saisissez au moins un mot de deux lettres ou chiffres"),
    ("... ; -- !!", "Saisissez au moins un mot de deux lettres ou chiffres"),
    ("de la le", "Saisissez au moins un mot de deux lettres ou chiffres"),
])
def test_bad_input_is_explained_in_french_next_to_the_box(typed, message, organisation, roads_agent, pothole):
    response = client_for(organisation, roads_agent).get(URL, {"q": typed})
    text = page_text(response)
    assert response.status_code == 200
    assert message in text
    assert 'id="id_q_error"' in text and 'aria-describedby="id_q_helptext id_q_error"' in text
    assert 'aria-invalid="true"' in text
    assert pothole.tracking_code not in text
    if typed.strip() and len(typed) < 200:
        assert f'value="{typed.strip()}"' in html.unescape(text.replace("&#x27;", "'")) or "value=" in text


@pytest.mark.parametrize("typed", [
    "lilas & trottoir", "lilas | xylophone", "!lilas", "lilas:*", "lilas:A", "(lilas)", "'lilas'", "lilas' | '",
    "lilas <-> trottoir", "lilas\\", "lilas%", "lil_s", "'; DROP TABLE search_requestsearch; --", "lilas\x00",
])
def test_tsquery_and_sql_metacharacters_are_plain_text(typed, org_admin, organisation, pothole, lamp):
    found = codes(org_admin, organisation, typed)
    assert found in ([pothole.tracking_code], [])
    response = client_for(organisation, org_admin).get(URL, {"q": typed})
    assert response.status_code == 200
    assert RequestSearch.objects.count() == 2


def test_metacharacters_around_words_do_not_change_the_result(org_admin, organisation, pothole, lamp):
    assert codes(org_admin, organisation, "lilas & trottoir") == [pothole.tracking_code]
    assert codes(org_admin, organisation, "lilas | lampadaires") == []  # « | » is not an OR
    assert codes(org_admin, organisation, "!lilas") == [pothole.tracking_code]  # nor « ! » a NOT
    assert codes(org_admin, organisation, "li_as") == []  # nor « _ » a LIKE wildcard (« li » and « as »)
    assert codes(org_admin, organisation, "lil%") == [pothole.tracking_code]  # « lil » as a prefix, % ignored


def test_the_results_page(organisation, roads_agent, pothole, lamp):
    response = client_for(organisation, roads_agent).get(URL, {"q": "Saint-Aubin"})
    text = page_text(response)
    assert response.status_code == 200
    assert "2 demandes trouvées pour « Saint-Aubin », les plus pertinentes d'abord" in text
    for expected in (pothole.tracking_code, lamp.tracking_code, "Signaler un problème de voirie", "Hélène Lefèvre",
                     "Jean-Noël Bœuf", "12 rue des Lilas, 54470 Saint-Aubin", "Voirie", "Reçue"):
        assert expected in text
    assert f'<a href="/agents/demandes/{pothole.tracking_code}/">' in text
    # The result exports (the exports app re-runs search_requests with the agent's permissions in the worker).
    assert 'action="/agents/exports/nouveau/"' in text and 'name="source" value="search"' in text
    assert 'name="params" value="q=Saint-Aubin"' in text and "Exporter en CSV" in text
    response = client_for(organisation, roads_agent).get(URL, {"q": "xylophone"})
    assert "Aucune demande que vous pouvez consulter ne correspond à « xylophone »." in page_text(response)


def test_fifty_results_per_page(organisation, org_admin, street_procedure):
    rows = [submitted(street_procedure, description=f"Poubelle renversée numéro {n}") for n in range(53)]
    client = client_for(organisation, org_admin)
    first = page_text(client.get(URL, {"q": "poubelle"}))
    second = page_text(client.get(URL, {"q": "poubelle", "page": 2}))
    assert "53 demandes trouvées" in first and "Page 1 sur 2" in first and "Page 2 sur 2" in second
    on_first = {row.tracking_code for row in rows if row.tracking_code in first}
    on_second = {row.tracking_code for row in rows if row.tracking_code in second}
    assert len(on_first) == 50 and len(on_second) == 3 and not on_first & on_second
    # A page number far past the last (even beyond what the database can offset) shows the last page.
    for number in ("3", "99999999999999999999"):
        response = client.get(URL, {"q": "poubelle", "page": number})
        assert response.status_code == 200 and "Page 2 sur 2" in page_text(response), number


def test_the_number_of_queries_does_not_grow_with_the_results(organisation, org_admin, street_procedure):
    client = client_for(organisation, org_admin)
    citizens = [make_citizen(organisation, email=f"usager{n}@example.org", last_name=f"Usager{n}") for n in range(12)]

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, {"q": "poubelle"})
        assert response.status_code == 200
        return len(queries)

    for n in range(2):
        submitted(street_procedure, citizen=citizens[n], description="Poubelle renversée")
    small = count()
    for n in range(2, 12):
        submitted(street_procedure, citizen=citizens[n], description="Poubelle renversée")
    for n in range(20):
        submitted(street_procedure, description="Poubelle renversée")
    assert count() == small


def test_the_search_box_is_in_the_agents_navigation_and_on_their_home(organisation, roads_agent, citizen):
    client = client_for(organisation, roads_agent)
    text = page_text(client.get("/agents/"))
    assert 'role="search"' in text and '<label for="recherche-menu" class="visually-hidden">' in text
    assert '<label for="recherche-outils">' in text and 'action="/agents/recherche/"' in text
    text = page_text(client.get(URL, {"q": "lilas"}))
    assert 'id="recherche-menu" name="q" value="lilas"' in text
    # Not for citizens.
    assert "recherche-menu" not in page_text(client_for(organisation, citizen).get("/compte/"))


def test_parse_query_keeps_words_folded_and_unique():
    terms = parse_query("  Réparations, RÉPARATIONS ; l'École  06 12 34 56 78 ")
    assert terms.words == ("reparations", "ecole", "0612345678") and terms.code is None


# --- rebuilding the index --------------------------------------------------------------------------------------------


def test_reindex_command_rebuilds_one_collectivite_or_all(organisation, other_organisation, org_admin, pothole,
                                                          lamp, capsys):
    RequestSearch.objects.all().delete()
    ServiceRequest.objects.filter(pk=lamp.pk).update(contact_name="Gaston Lagaffe")  # changed without signal
    assert codes(org_admin, organisation, "lilas") == []
    call_command("reindex_requests", "--organisation", organisation.slug)
    assert "2 demandes indexées" in capsys.readouterr().out
    assert codes(org_admin, organisation, "lilas") == [pothole.tracking_code]
    assert codes(org_admin, organisation, "lagaffe") == [lamp.tracking_code]
    call_command("reindex_requests", "--batch-size", "1")
    assert RequestSearch.objects.count() == 2
    # The whole rebuild creates PostgreSQL's GIN index again at its end.
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, RequestSearch._meta.db_table)
    assert ("search_request_org_vector_gin" in indexes) == (connection.vendor == "postgresql")
    assert codes(org_admin, organisation, "Lefèvre") == [pothole.tracking_code]
    with pytest.raises(CommandError, match="Aucune collectivité"):
        call_command("reindex_requests", "--organisation", "inconnue")


# --- what each database searches ---------------------------------------------------------------------------------


def test_the_index_row_holds_folded_words_and_on_postgresql_a_french_tsvector(pothole):
    row = RequestSearch.objects.get(request=pothole)
    assert row.organisation_id == pothole.organisation_id
    assert " helene lefevre " in row.identity and " 0612345678 " in row.identity and " lilas " in row.identity
    assert " reparer le trottoir " in row.content and " nid de poule sur la chaussee " in row.content
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT vector::text FROM search_requestsearch WHERE id = %s", [row.pk])
            vector = cursor.fetchone()[0]
        # French stems, identity words weighted A, content words C.
        assert "'repar':" in vector and "'lefevr':" in vector and "'0612345678':" in vector
        assert re.search(r"'lefevr':\d+A", vector) and re.search(r"'trottoir':\d+C", vector), vector
    else:
        assert row.vector is None


def test_the_query_reads_the_index_of_the_collectivite(organisation, other_organisation, org_admin, roads_agent,
                                                       pothole, street_procedure):
    """With a few thousand requests (bulk-inserted, then indexed by the rebuild), the planner looks the words up in
    the GIN index together with the collectivité, before reading any request."""
    from guichet.search.services import reindex_requests
    from guichet.service_requests.codes import new_tracking_code

    version = street_procedure.current_version
    ServiceRequest.objects.bulk_create([
        ServiceRequest(organisation=organisation, version=version, procedure=street_procedure,
                       tracking_code=new_tracking_code(), state=ServiceRequest.State.SUBMITTED,
                       service=street_procedure.service, contact_name=f"Usager {n}", submitted_at=pothole.submitted_at,
                       data={"nature": "dechets", "description": f"Sacs déposés devant le numéro {n}"})
        for n in range(3000)
    ])
    assert reindex_requests(organisation) == 3001
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    for user in (org_admin, roads_agent):
        user.is_verified = lambda: True
        queryset = search_requests(user, organisation, "trottoir lilas")
        sql, params = queryset[:50].query.sql_with_params()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # 3,000 rows still fit in a few pages, which the planner prefers to read whole or walk through a
                # B-tree: forbid those plans (at a million rows it looks the words up first by itself).
                for setting in ("enable_seqscan", "enable_indexscan", "enable_nestloop"):
                    cursor.execute(f"SET LOCAL {setting} = off")
                cursor.execute(f"EXPLAIN {sql}", params)
                plan = "\n".join(line for (line,) in cursor.fetchall())
                assert "Bitmap Index Scan on search_request_org_vector_gin" in plan, plan
                # Both the collectivité and the words are conditions of the GIN index scan (a bigint comparison).
                assert re.search(r"Index Cond: \(\(organisation_id = '?\d+'?::bigint\) AND \(vector @@", plan), plan
            else:
                cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
                plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
                assert "search_requestsearch" in plan, plan
        assert [r.tracking_code for r in queryset] == [pothole.tracking_code]
        assert len(search_requests(user, organisation, "sacs déposés")) == 3000


def test_the_page_in_english(organisation, roads_agent, pothole):
    from django.conf import settings

    client = client_for(organisation, roads_agent)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    text = page_text(client.get(URL, {"q": "lilas"}))
    assert "Search for a request" in text and "1 request found for “lilas”" in text
    text = page_text(client.get(URL, {"q": "x" * 300}))
    assert "The search is too long: 200 characters at most (you entered 300)." in text

"""The demo data of citizen records loads through the real services, once."""

from guichet.citizen_records import demo, services
from guichet.notifications.models import Delivery
from guichet.procedures.exchange import load_catalogue
from guichet.service_requests.models import ServiceRequest
from tests.conftest import make_citizen


def test_load_demo_adds_a_citizen_without_e_mail_and_requests_entered_by_an_agent(organisation, org_admin):
    load_catalogue(organisation)
    make_citizen(organisation, phone="+33612345678", address_line="1 rue Haute", postcode="54470",
                 city="Saint-Aubin")
    assert demo.load_demo(organisation) == 3
    josette = services.citizens(organisation).get(first_name="Josette")
    assert services.is_placeholder_email(josette.email) and not josette.has_usable_password()
    requests = ServiceRequest.objects.of(organisation)
    assert set(requests.values_list("channel", flat=True)) == {"counter", "phone"}
    assert requests.filter(entered_by=org_admin).count() == 3
    assert requests.filter(state="submitted").count() == 2 and requests.filter(state="draft").count() == 1
    assert Delivery.objects.get(notification__recipient=josette).channel == "letter"
    assert demo.load_demo(organisation) == 0 and requests.count() == 3

"""The site's URLs with the e-mail settings pages added to the `mailroom` namespace, for as long as
`mailroom/urls.py` does not include `mailbox_views.urlpatterns` itself (then this changes nothing)."""

from django.urls import include, path

from guichet import urls as site
from guichet.mailroom import mailbox_views
from guichet.mailroom import urls as mailroom_urls

_names = {getattr(pattern, "name", None) for pattern in mailroom_urls.urlpatterns}
_extra = [pattern for pattern in mailbox_views.urlpatterns if pattern.name not in _names]
urlpatterns = [
    path("agents/courrier-entrant/", include((mailroom_urls.urlpatterns + _extra, "mailroom"))),
    *[pattern for pattern in site.urlpatterns if str(pattern.pattern) != "agents/courrier-entrant/"],
]

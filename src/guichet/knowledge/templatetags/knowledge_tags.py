"""`rich`: a sheet's answer sanitised again at rendering (nh3), ready for the page. `excerpt`: its first words."""

from django import template
from django.utils.text import Truncator

from .. import richtext

register = template.Library()


@register.filter
def rich(value):
    return richtext.render(value)


@register.filter
def excerpt(value, words=30):
    return Truncator(richtext.plain_text(value)).words(int(words), truncate=" …")

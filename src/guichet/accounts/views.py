from django.http import HttpResponse


def _placeholder(request, *args, **kwargs):
    return HttpResponse("")


login = logout = signup = profile = _placeholder


def locked_out(request, credentials=None, *args, **kwargs):
    return HttpResponse(status=429)

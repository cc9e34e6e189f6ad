def organisation(request):
    return {"organisation": getattr(request, "organisation", None)}

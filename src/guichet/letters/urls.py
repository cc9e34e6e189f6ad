from django.urls import path

from . import views

app_name = "letters"
urlpatterns = [
    path("", views.batch_list, name="batch_list"),
    path("lots/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("lots/<int:pk>/pdf/", views.batch_pdf, name="batch_pdf"),
    path("lots/<int:pk>/poste/", views.batch_posted, name="batch_posted"),
    path("courrier/<int:pk>/pdf/", views.letter_pdf, name="letter_pdf"),
]

"""Staff pages (under /handoffs/, app namespace `transitions`) and the public page (/gongshi/)."""

from django.urls import path

from . import views

staff_urlpatterns = [
    path("disclosure/", views.publications, name="publications"),
    path("disclosure/<int:pk>/", views.publication, name="publication"),
    path(
        "disclosure/<int:pk>/take-down/", views.publication_take_down, name="publication_take_down"
    ),
    path("disclosure/objections/", views.objections, name="public_objections"),
    path("disclosure/objections/<int:pk>/", views.objection, name="public_objection"),
]

app_name = "gongshi"
urlpatterns = [path("<str:token>/", views.public_list, name="list")]

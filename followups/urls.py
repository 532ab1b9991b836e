from django.urls import path

from . import views

app_name = "followups"

# Mounted under /o/<org_slug>/: the tenant middleware grants or 404s.
urlpatterns = [
    path("responses/", views.response_list, name="responses"),
    path("responses/poll/", views.response_poll, name="responses_poll"),
    path("responses/export.csv", views.export_csv, name="export"),
    path("responses/<int:response_id>/", views.response_detail, name="response"),
    path("responses/<int:response_id>/status/", views.response_status, name="status"),
    path("responses/<int:response_id>/assignee/", views.response_assignee, name="assignee"),
    path("responses/<int:response_id>/tags/", views.response_tags, name="tags"),
    path("responses/<int:response_id>/notes/", views.note_add, name="note_add"),
    path("responses/<int:response_id>/contacted/", views.mark_contacted, name="mark_contacted"),
    path("notes/<int:note_id>/delete/", views.note_delete, name="note_delete"),
    path("inbox/", views.inbox, name="inbox"),
    path("respondents/<int:respondent_id>/", views.respondent_detail, name="respondent"),
]

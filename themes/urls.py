from django.urls import path

from . import views

app_name = "themes"

# Mounted under /o/<org_slug>/: the tenant middleware grants or 404s. The
# theme's key travels in the form, the survey and period in the query string.
urlpatterns = [
    path("themes/", views.theme_list, name="list"),
    path("themes/rename/", views.theme_rename, name="rename"),
    path("themes/merge/", views.theme_merge, name="merge"),
    path("themes/unmerge/", views.theme_unmerge, name="unmerge"),
    path("themes/tag/", views.theme_tag, name="tag"),
]

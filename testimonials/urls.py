from django.urls import path

from . import public, views, widget

app_name = "testimonials"

# Mounted under /o/<org_slug>/: the tenant middleware grants or 404s.
urlpatterns = [
    path("testimonials/", views.testimonial_list, name="list"),
    path("testimonials/wall/", views.wall_settings, name="wall"),
    path("testimonials/<int:testimonial_id>/", views.testimonial_detail, name="detail"),
    path("testimonials/<int:testimonial_id>/review/", views.testimonial_review, name="review"),
    path("testimonials/<int:testimonial_id>/edit/", views.testimonial_edit, name="edit"),
    path("testimonials/surveys/<int:survey_id>/ask/", views.consent_ask, name="ask"),
]

# Anonymous: respondents, and the sites that show the wall.
public_urlpatterns = [
    path("testimonials.js", public.wall_js, name="testimonials_js"),
    path("t/<str:public_key>", public.wall_page, name="testimonial_wall"),
    path("t/<str:public_key>/testimonials.json", public.wall_json, name="testimonial_wall_json"),
    path("t/withdraw/<str:token>", public.withdraw, name="testimonial_withdraw"),
    path("s/<str:public_key>/testimonial", public.link_testimonial, name="link_testimonial"),
    path("w/<str:public_key>/testimonial/offer", widget.offer, name="widget_testimonial_offer"),
    path("w/<str:public_key>/testimonial", widget.consent, name="widget_testimonial"),
]

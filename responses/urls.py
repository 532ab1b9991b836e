from django.urls import path

from . import link, views

urlpatterns = [
    path("widget.js", views.widget_js, name="widget_js"),
    path("w/<str:public_key>/config", views.widget_config, name="widget_config"),
    path("w/<str:public_key>/display", views.widget_display, name="widget_display"),
    path("w/<str:public_key>/answer", views.widget_answer, name="widget_answer"),
    path("w/<str:public_key>/comment", views.widget_comment, name="widget_comment"),
    path("w/<str:public_key>/dismiss", views.widget_dismiss, name="widget_dismiss"),
    path("s/<str:public_key>", link.link_page, name="link_page"),
    path("s/<str:public_key>/comment", link.link_comment, name="link_comment"),
    path("s/<str:public_key>/thanks", link.link_thanks, name="link_thanks"),
    path("s/<str:public_key>/qr.svg", link.link_qr_svg, name="link_qr_svg"),
    path("s/<str:public_key>/qr.png", link.link_qr_png, name="link_qr_png"),
]

from django.contrib.auth import views as auth_views
from django.urls import path

from deskside.accounts.signin import SignInView
from deskside.desk.views import (
    actions,
    bulk,
    customers,
    drafts,
    files,
    held,
    new,
    notifications,
    presence,
    preview,
    queue,
    search,
    ticket,
)

app_name = "desk"
urlpatterns = [
    path("", queue.queue, name="queue"),
    path("views/", queue.save_view, name="save_view"),
    path("views/<int:pk>/remove/", queue.remove_view, name="remove_view"),
    path(
        "login/",
        # Without ?next=, a signed-in agent lands on the queue (Django's default is a 404 at
        # /accounts/profile/).
        SignInView.as_view(template_name="desk/login.html", next_page="desk:queue"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="desk:login"), name="logout"),
    path("search/", search.search, name="search"),
    path("bulk/", bulk.bulk_action, name="bulk"),
    path("new/", new.new_ticket, name="new_ticket"),
    path("notifications/", notifications.notifications, name="notifications"),
    path("notifications/read/", notifications.mark_all_read, name="notifications_read"),
    path("notifications/settings/", notifications.settings_page, name="notification_settings"),
    path("ticket/<str:ref>/", ticket.ticket_page, name="ticket"),
    path("ticket/<str:ref>/presence/", presence.heartbeat, name="presence"),
    path("ticket/<str:ref>/preview/<str:action>/", preview.mail_preview, name="preview"),
    path("ticket/<str:ref>/draft/<str:kind>/", drafts.save_draft, name="draft"),
    path("ticket/<str:ref>/<str:action>/", actions.act, name="act"),
    path("file/<str:token>/", files.attachment, name="attachment"),
    path("file/<str:token>/inline/", files.attachment_inline, name="attachment_inline"),
    path("held/", held.held_list, name="held"),
    path("held/<int:pk>/", held.held_mail, name="held_mail"),
    path("held/<int:pk>/raw/<str:key>/", held.held_raw, name="held_raw"),
    path("held/<int:pk>/file/<int:index>/<str:key>/", held.held_file, name="held_file"),
    path("held/<int:pk>/<str:action>/", held.held_act, name="held_act"),
    path("customers/", customers.customers, name="customers"),
    path("customers/contact/<int:pk>/", customers.contact_page, name="contact"),
    path("customers/contact/<int:pk>/edit/", customers.contact_edit, name="contact_edit"),
    path("customers/organisation/<int:pk>/", customers.organisation_page, name="organisation"),
]

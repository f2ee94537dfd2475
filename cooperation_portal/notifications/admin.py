from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["subject", "recipient", "level", "created_at", "sent_at", "attempts"]
    list_filter = ["kind", "level"]
    list_select_related = ["recipient"]
    raw_id_fields = ["recipient", "coop_request", "escalation_step"]
    readonly_fields = ["created_at", "claimed_at", "sent_at", "attempts", "last_error"]
    search_fields = ["subject", "recipient__username"]

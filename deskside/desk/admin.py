from django.contrib import admin

from deskside.desk.models import CannedReply


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin[CannedReply]):
    list_display = ["title"]
    search_fields = ["title", "text_en", "text_nl", "text_fr", "text_de"]

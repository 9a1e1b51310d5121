from django.db import migrations

from tracker.migrations._roles import grant


class Migration(migrations.Migration):
    dependencies = [("tracker", "0008_record_research_notes_documents_declarations")]

    operations = [
        migrations.RunPython(grant(["declaration", "document", "meetingpart"]), migrations.RunPython.noop),
    ]

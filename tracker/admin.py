from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from tracker import models

for model in (
    models.Source,
    models.Treaty,
    models.State,
    models.Participation,
    models.RatificationStep,
    models.Obligation,
    models.Extension,
    models.Meeting,
    models.WorkingGroup,
    models.CoordinatorAssignment,
):
    admin.site.register(model, SimpleHistoryAdmin)

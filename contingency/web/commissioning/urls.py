"""URLs of the commissioners' pages (mounted under o/<org>/): a plan's contract KPIs, an incident's relaxations."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("plans/<slug:plan>/kpis/", views.plan_kpis, name="plan-kpis"),
    path("plans/<slug:plan>/kpis/add/", views.add_kpi, name="plan-kpi-add"),
    path("plans/<slug:plan>/kpis/<int:pk>/", views.edit_kpi, name="plan-kpi"),
    path("plans/<slug:plan>/kpis/<int:pk>/remove/", views.remove_kpi, name="plan-kpi-remove"),
    path("incidents/<int:number>/kpis/", views.incident_kpis, name="incident-kpis"),
    path("incidents/<int:number>/kpis/ask/", views.ask, name="incident-kpi-ask"),
    path("incidents/<int:number>/kpis/<int:pk>/agree/", views.agree, name="incident-kpi-agree"),
    path("incidents/<int:number>/kpis/<int:pk>/file/", views.evidence_file, name="incident-kpi-file"),
]

urlpatterns += [
    path("plans/<slug:plan>/subcontractors/", views.subcontractors, name="plan-subcontractors"),
    path("plans/<slug:plan>/subcontractors/add/", views.add_provider, name="plan-subcontractor-add"),
    path("plans/<slug:plan>/subcontractors/<int:pk>/withdraw/", views.withdraw, name="plan-subcontractor-withdraw"),
    path("plans/<slug:plan>/capacity-reviews/<int:pk>/informed/", views.informed, name="plan-capacity-informed"),
]

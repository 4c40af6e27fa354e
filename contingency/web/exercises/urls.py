"""URLs of the exercise pages (mounted under o/<org>/)."""

from django.urls import URLPattern, path

from . import views

urlpatterns: list[URLPattern] = [
    path("exercises/", views.index, name="exercises"),
    path("exercises/cadence/", views.cadence, name="exercise-cadence"),
    path("exercises/start/", views.start, name="exercise-start"),
    path("exercises/<int:number>/", views.exercise_page, name="exercise"),
    path("exercises/<int:number>/finish/", views.finish, name="exercise-finish"),
    path("exercises/<int:number>/injects/", views.add_inject, name="exercise-inject-add"),
    path("exercises/<int:number>/injects/release/", views.release_inject, name="exercise-inject-release"),
    path("exercises/<int:number>/clock/", views.advance_clock, name="exercise-clock-advance"),
]

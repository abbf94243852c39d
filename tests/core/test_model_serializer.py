"""core.api.ModelSerializer: the fields worked out from the model once per class, each serializer its own copies."""

from rest_framework import serializers

from applications.api import ApplicationAttachmentSerializer, ApplicationSerializer


def test_each_serializer_gets_its_own_fields_bound_to_itself():
    first, second = ApplicationSerializer(), ApplicationSerializer()
    assert list(first.fields) == list(second.fields)
    for name in first.fields:
        assert first.fields[name] is not second.fields[name]
        assert first.fields[name].parent is first and second.fields[name].parent is second
    assert first.fields["attachments"].child is not second.fields["attachments"].child


def test_the_model_is_inspected_once_per_class(monkeypatch):
    ApplicationAttachmentSerializer().fields  # noqa: B018 - built (and kept) here if not already
    built = []
    original = serializers.ModelSerializer.build_field

    def build_field(self, *args, **kwargs):
        built.append(args[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(serializers.ModelSerializer, "build_field", build_field)
    fields = ApplicationAttachmentSerializer().fields
    assert built == []
    assert fields["size"].read_only and fields["kind"].read_only

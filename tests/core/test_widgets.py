"""QuickSelect: a <select> written without Django's per-option template, escaped the same."""

from __future__ import annotations

from django.utils.safestring import mark_safe

from deskside.core.widgets import QuickSelect


def test_options_are_escaped_and_the_chosen_one_selected():
    widget = QuickSelect(choices=[("", "All"), (1, '<b>"A&B"</b>'), (2, mark_safe("<i>ok</i>"))])
    html = widget.render("organisation", "1", attrs={"id": "id_organisation"})
    assert html.startswith('<select id="id_organisation" name="organisation">')
    assert '<option value="1" selected>&lt;b&gt;&quot;A&amp;B&quot;&lt;/b&gt;</option>' in html
    assert '<option value="2"><i>ok</i></option>' in html  # safe already: not escaped twice
    assert html.count(" selected") == 1


def test_a_value_that_escapes_its_attribute_is_escaped():
    widget = QuickSelect(choices=[('x" onmouseover="alert(1)', "x")])
    html = widget.render("agent", None)
    assert 'value="x&quot; onmouseover=&quot;alert(1)"' in html

"""Property tests over Unicode addresses: the canonical form (accounts.emails) is one fixed point
in Python, and PostgreSQL stores and compares exactly what Python computed (its own NFKC agrees
that the stored form is normalised; the unique index treats two addresses as one exactly when
Python does)."""

import pytest
from django.db import IntegrityError, connection, transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.emails import email_canonical, email_skeleton
from accounts.models import User

# Letters, marks, digits and symbols of every script, and the look-alikes the probe used.
_CHARS = st.characters(categories=["L", "M", "N", "S", "Pd", "Pc"], exclude_characters="\x00")
LOCAL_PARTS = st.one_of(
    st.text(_CHARS, min_size=1, max_size=20),
    # Look-alikes, letters whose folding or normalisation changes length, and characters NFKC
    # turns into a space plus a mark ("´" -> " ́": the canonical form must strip after normalising).
    st.text(st.sampled_from("chrisaleopſıİKﬁßΣσςǅǆ\u0307\u0130´¨\u00a0"), min_size=1, max_size=12),
)
ADDRESSES = st.builds(lambda local, domain: f"{local}@{domain}", LOCAL_PARTS, st.sampled_from(["example.com", "EXAMPLE.com", "exaſple.com"]))
HYPOTHESIS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@given(ADDRESSES)
@example("´@example.com")
@example("¨\u00a0@example.com")
@HYPOTHESIS
def test_the_canonical_form_and_the_skeleton_are_fixed_points(address):
    canonical = email_canonical(address)

    assert email_canonical(canonical) == canonical
    assert email_canonical(canonical.upper()) == email_canonical(canonical.upper().lower())
    assert email_skeleton(canonical) == email_skeleton(address)
    assert email_skeleton(email_skeleton(address)) == email_skeleton(address)


@given(ADDRESSES)
@HYPOTHESIS
def test_every_spelling_with_one_canonical_form_has_one_skeleton(address):
    for spelling in (address.upper(), address.lower(), address.casefold(), address.swapcase()):
        if email_canonical(spelling) == email_canonical(address):
            assert email_skeleton(spelling) == email_skeleton(address)


@pytest.mark.postgres
@pytest.mark.django_db
@given(address=ADDRESSES, other=ADDRESSES)
@HYPOTHESIS
def test_postgresql_stores_and_compares_the_canonical_form_python_computed(address, other):
    with transaction.atomic():
        sid = transaction.savepoint()
        user = User.objects.create_user(address, "pw")
        with connection.cursor() as cursor:
            cursor.execute("SELECT email_canonical, normalize(email_canonical, NFKC) = email_canonical, "
                           "normalize(email_skeleton, NFKC) = email_skeleton FROM accounts_user WHERE id = %s", [user.pk])
            stored, canonical_is_nfkc, skeleton_is_nfkc = cursor.fetchone()
        assert stored == email_canonical(address) and canonical_is_nfkc and skeleton_is_nfkc
        assert list(User.objects.filter(email_canonical=email_canonical(address.upper().lower()))) in (
            [user], []) and User.objects.get_by_natural_key(address) == user

        same = email_canonical(other) == email_canonical(address) or email_skeleton(other) == email_skeleton(address)
        try:
            with transaction.atomic():
                User.objects.create_user(other, "pw")
            refused = False
        except IntegrityError:
            refused = True
        assert refused == same
        transaction.savepoint_rollback(sid)

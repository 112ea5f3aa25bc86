from automation.models import Profile


def profile_of(user) -> Profile:
    """The user's preferences; an unsaved default profile if they never set any."""
    try:
        return user.crm_profile
    except Profile.DoesNotExist:
        return Profile(user=user)


def profiles_by_user(users) -> dict[int, Profile]:
    found = {p.user_id: p for p in Profile.objects.filter(user__in=users)}
    return {u.pk: found.get(u.pk) or Profile(user=u) for u in users}


def language_of(user) -> str:
    return profile_of(user).email_language

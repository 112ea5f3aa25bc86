"""Tables that are ledgers: rows are only ever added, never rewritten or deleted one by one."""


class AppendOnly:
    """Mix into a model (before ``models.Model``) whose rows are only added: saving a stored row raises
    ``refusal(edit_refused)``, deleting one ``refusal(delete_refused)``."""

    refusal: type[Exception]
    edit_refused: str
    delete_refused: str

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise self.refusal(self.edit_refused)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise self.refusal(self.delete_refused)

"""The finding rules, by family: ``environment`` (VS101–VS105), ``declarations`` (VS201–VS208) and ``imports``
(VS301–VS304). Rules read the project model and report facts; ``venvsense.severity`` decides levels."""

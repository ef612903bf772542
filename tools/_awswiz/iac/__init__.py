"""Infrastructure as code (issue 21): read a selection of live resources into one neutral model (read), write it
as Terraform (terraform, hcl) or CloudFormation (cloudformation), name it (names), keep the export's folder safe
(files), and compare a past export with what is live (drift). Floor 4: above the inventory, beside compute."""

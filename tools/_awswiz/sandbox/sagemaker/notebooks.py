"""A SageMaker notebook instance's ARN carries its name lower-cased (arn:...:notebook-instance/mynb for MyNb;
SageMaker lower-cases the names in its ARNs: boto/boto3#4606, aws/sagemaker-experiments#172); moto (5.2) keeps the
case. ListTags and the other calls by ARN find it by that lower-cased ARN. Taught to moto in place (inside the
sandbox server)."""

from __future__ import annotations


def _teach_moto() -> None:
    from moto.sagemaker.models import FakeSagemakerNotebookInstance, SageMakerModelBackend

    nb_init, by_arn = FakeSagemakerNotebookInstance.__init__, SageMakerModelBackend._get_resource_from_arn

    def notebook_init(self, *a, **kw):
        nb_init(self, *a, **kw)
        self.arn = self.arn.lower()

    def get_resource_from_arn(self, arn: str):
        head, _, name = arn.rpartition("/")
        if head.endswith(":notebook-instance"):
            name = next((n for n in self.notebook_instances if n.lower() == name.lower()), name)
        return by_arn(self, f"{head}/{name}")

    FakeSagemakerNotebookInstance.__init__ = notebook_init
    SageMakerModelBackend._get_resource_from_arn = get_resource_from_arn


_teach_moto()

"""Text for the benchmark data of `seed_bench`: what a hosting company's tickets say.

Subjects and messages are built from a vocabulary of real hosting problems, mostly in
Portuguese with some English, so that full-text searches over them have the selectivity
they would have in production: common words ("site", "erro") match a large share of the
tickets, specific ones ("DKIM", "htaccess", a customer's domain) only a few.
"""

import random
import unicodedata

FIRST_NAMES = (
    "Ana Bruno Carla Daniel Eduarda Felipe Gabriela Henrique Isabela João Juliana Lucas Mariana Mateus Natália "
    "Otávio Patrícia Rafael Sofia Thiago Vanessa William Yasmin Pedro Larissa Gustavo Camila Diego Fernanda Rodrigo "
    "Beatriz Leonardo Alice Caio Helena Igor Letícia Marcelo Paula Renato"
).split()
LAST_NAMES = (
    "Silva Santos Oliveira Souza Rodrigues Ferreira Alves Pereira Lima Gomes Costa Ribeiro Martins Carvalho Almeida "
    "Lopes Soares Fernandes Vieira Barbosa Rocha Dias Nascimento Andrade Moreira Nunes Marques Machado Mendes Freitas "
    "Cardoso Ramos Gonçalves Santana Teixeira Smith Johnson Brown Miller Davis"
).split()
TLDS = (".com.br", ".com.br", ".com.br", ".com", ".net.br", ".org", ".net", ".store")

# Subjects: {site} is the customer's domain, {code} an error code, {app} an application.
SUBJECTS_PT = (
    "Site fora do ar",
    "Site {site} fora do ar",
    "Erro {code} no site",
    "Erro {code} ao acessar {site}",
    "Site muito lento",
    "Lentidão no painel de controle",
    "Não consigo acessar o cPanel",
    "E-mails não estão chegando",
    "E-mails caindo no spam do Gmail",
    "Erro 550 ao enviar e-mail",
    "Caixa de e-mail cheia",
    "Configurar e-mail no Outlook",
    "Certificado SSL expirado",
    "Instalar certificado SSL em {site}",
    "Aviso de site não seguro no navegador",
    "Migração de site para a hospedagem",
    "Transferência de domínio {site}",
    "Renovação do domínio {site}",
    "Domínio não propaga",
    "Alterar DNS do domínio",
    "Configurar registros SPF e DKIM",
    "Banco de dados MySQL fora do ar",
    "Erro de conexão com o banco de dados",
    "Limite de conexões do MySQL",
    "Backup do site",
    "Restaurar backup de ontem",
    "{app} com tela branca",
    "Atualização do {app} quebrou o site",
    "Plugin do {app} com erro",
    "Site invadido / malware",
    "Conta suspensa",
    "Segunda via de boleto",
    "Cobrança em duplicidade",
    "Nota fiscal da fatura",
    "Upgrade de plano",
    "Cancelamento de plano",
    "Alterar forma de pagamento",
    "Acesso FTP negado",
    "Permissão de arquivos no servidor",
    "Erro no .htaccess",
    "Versão do PHP",
    "Cron job não executa",
    "Uso de CPU acima do limite",
    "Espaço em disco esgotado",
    "Revenda: criar conta de cliente",
    "Denúncia de spam",
    "Denúncia de phishing em {site}",
)
SUBJECTS_EN = (
    "Website down",
    "Website {site} is down",
    "Error {code} on my site",
    "Site is very slow",
    "Cannot log in to cPanel",
    "E-mails not arriving",
    "Outgoing mail rejected with 550",
    "SSL certificate expired",
    "Domain transfer for {site}",
    "Domain renewal",
    "DNS changes not propagating",
    "Database connection error",
    "Restore yesterday's backup",
    "{app} white screen after update",
    "Account suspended",
    "Invoice question",
    "Upgrade my plan",
    "FTP access denied",
    "PHP version upgrade",
    "Disk quota exceeded",
    "Phishing report for {site}",
)
SUBJECT_SUFFIXES_PT = ("", "", "", "", " - urgente", " desde ontem", " novamente", " (urgente)", " hoje cedo")
SUBJECT_SUFFIXES_EN = ("", "", "", " - urgent", " since yesterday", " again")
CODES = ("500", "503", "502", "504", "403", "404", "508", "429", "550", "554")
APPS = ("WordPress", "WooCommerce", "Joomla", "Magento", "PrestaShop", "Moodle", "Laravel", "Drupal")

CUSTOMER_SENTENCES_PT = (
    "Olá, bom dia.",
    "Boa tarde, pessoal do suporte.",
    "Meu site {site} está fora do ar desde hoje cedo.",
    "Quando acesso {site} aparece o erro {code}.",
    "Já limpei o cache do navegador e o problema continua.",
    "Os clientes estão reclamando que a loja não abre.",
    "Tentei acessar pelo celular e também não funciona.",
    "Os e-mails enviados para o Gmail voltam com erro 550.",
    "Não estou recebendo nenhum e-mail desde a última sexta-feira.",
    "O painel de controle está muito lento para carregar.",
    "Fiz uma atualização do {app} e agora aparece uma tela branca.",
    "Preciso restaurar o backup do banco de dados de ontem.",
    "O certificado SSL do domínio {site} expirou e o navegador mostra um aviso.",
    "Gostaria de transferir o domínio {site} para a conta de vocês.",
    "Alterei os servidores DNS há dois dias e o domínio ainda não propagou.",
    "Recebi um aviso de que a conta foi suspensa por uso excessivo de CPU.",
    "O FTP recusa a minha senha, mas ela está correta.",
    "Segue em anexo o print da tela com a mensagem de erro.",
    "Podem verificar com urgência? É o site da empresa.",
    "A fatura deste mês veio com valor diferente do contratado.",
    "Paguei o boleto ontem e a conta continua suspensa.",
    "Preciso da nota fiscal da última fatura.",
    "Quero fazer upgrade para o plano com mais espaço em disco.",
    "O cron job configurado no painel não está executando.",
    "A versão do PHP do servidor é incompatível com o meu tema.",
    "O arquivo .htaccess parece estar com alguma regra errada.",
    "O banco de dados MySQL retorna 'too many connections'.",
    "Suspeito que o site foi invadido, apareceram arquivos estranhos na pasta public_html.",
    "Estamos recebendo denúncias de phishing hospedado em {site}.",
    "Os registros SPF e DKIM estão configurados conforme o tutorial de vocês.",
    "Isso começou depois da manutenção programada de ontem à noite.",
    "Já reiniciei o roteador e testei em outra rede.",
    "Aguardo retorno, obrigado.",
    "Obrigada pela ajuda!",
    "Continua com o mesmo problema, podem verificar de novo?",
    "Agora funcionou, muito obrigado.",
    "Ainda não resolveu, o erro {code} voltou a aparecer.",
)
CUSTOMER_SENTENCES_EN = (
    "Hello,",
    "Hi support team.",
    "My website {site} has been down since this morning.",
    "Visiting {site} shows error {code}.",
    "I already cleared the browser cache and the problem is still there.",
    "Mail sent to Gmail bounces with a 550 error.",
    "I am not receiving any e-mail since last Friday.",
    "After updating {app} the site shows a blank white page.",
    "Please restore yesterday's database backup.",
    "The SSL certificate for {site} has expired.",
    "I would like to transfer the domain {site} to your account.",
    "I changed the DNS servers two days ago and nothing propagated yet.",
    "FTP rejects my password although it is correct.",
    "The invoice this month is higher than my plan.",
    "Screenshot attached.",
    "Please check urgently, this is our company site.",
    "Thanks, waiting for your answer.",
    "It still does not work, could you check again?",
    "It works now, thank you!",
)
STAFF_SENTENCES_PT = (
    "Olá, tudo bem?",
    "Agradecemos o contato.",
    "Verificamos o servidor e o serviço já está normalizado.",
    "Identificamos um pico de uso de CPU causado por um plugin do {app}.",
    "Reiniciamos o serviço do MySQL e as conexões voltaram ao normal.",
    "O erro {code} era causado por uma regra no arquivo .htaccess, que corrigimos.",
    "Ajustamos o registro SPF do seu domínio; pode testar o envio novamente?",
    "O certificado SSL foi reemitido e já está ativo para {site}.",
    "A propagação do DNS pode levar até 48 horas.",
    "Restauramos o backup solicitado; confira se está tudo certo.",
    "Sua conta foi reativada após a confirmação do pagamento.",
    "Enviamos a segunda via do boleto para o seu e-mail de cadastro.",
    "A transferência do domínio foi iniciada; o código de autorização é necessário.",
    "Recomendamos atualizar a versão do PHP para 8.2 no painel.",
    "Removemos os arquivos maliciosos e alteramos as senhas de acesso.",
    "Poderia nos enviar um print da mensagem de erro?",
    "Poderia informar o horário aproximado em que o problema ocorreu?",
    "Qualquer dúvida, estamos à disposição.",
    "Atenciosamente, equipe de suporte.",
)
STAFF_SENTENCES_EN = (
    "Hello,",
    "Thank you for contacting us.",
    "We checked the server and the service is back to normal.",
    "The {code} error came from a rule in the .htaccess file, which we fixed.",
    "We adjusted your domain's SPF record; could you try sending again?",
    "The SSL certificate was reissued and is active for {site}.",
    "DNS propagation may take up to 48 hours.",
    "We restored the requested backup.",
    "Could you send us a screenshot of the error?",
    "Best regards, support team.",
)
NOTES = (
    "Cliente recorrente, verificar histórico antes de responder.",
    "Servidor web03 com carga alta, acompanhar.",
    "Aguardando retorno do registro.br.",
    "Escalado para a equipe de infraestrutura.",
    "Malware encontrado em wp-content/uploads; limpeza feita.",
    "Financeiro confirmou o pagamento.",
    "Checked the mail logs: blocked by the recipient's server.",
    "Possível abuso, verificar antes de reativar.",
)
SUMMARIES_PT = (
    "O site não abre",
    "Erro ao enviar e-mails",
    "Painel lento",
    "Problema com o domínio",
    "Dúvida sobre a fatura",
    "Preciso de ajuda com o certificado",
    "Banco de dados fora do ar",
    "Restaurar backup",
)
SUMMARIES_EN = ("Site does not load", "Mail problem", "Domain issue", "Billing question", "Need a backup restored")


def ascii_slug(text):
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


class Texts:
    """Pools of pre-built subjects and message bodies, drawn from cheaply per row.

    Building a body costs a few microseconds; drawing one from a pool of thousands and
    filling in the customer's domain keeps millions of rows fast and still varied.
    """

    POOL = 3000

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.customer = {"pt": self._bodies(CUSTOMER_SENTENCES_PT), "en": self._bodies(CUSTOMER_SENTENCES_EN)}
        self.staff = {"pt": self._bodies(STAFF_SENTENCES_PT), "en": self._bodies(STAFF_SENTENCES_EN)}
        self.subjects = {
            "pt": self._subjects(SUBJECTS_PT, SUBJECT_SUFFIXES_PT),
            "en": self._subjects(SUBJECTS_EN, SUBJECT_SUFFIXES_EN),
        }
        self.summaries = {"pt": SUMMARIES_PT, "en": SUMMARIES_EN}

    def _fill(self, template):
        rng = self.rng
        return template.replace("{code}", rng.choice(CODES)).replace("{app}", rng.choice(APPS))

    def _bodies(self, sentences):
        # One to fifteen sentences, six on average: ~250 characters at the median, a long tail.
        rng = self.rng
        return [
            self._fill(" ".join(rng.choices(sentences, k=min(15, 1 + int(rng.expovariate(1 / 5))))))
            for _ in range(self.POOL)
        ]

    def _subjects(self, subjects, suffixes):
        rng = self.rng
        return [self._fill(rng.choice(subjects)) + rng.choice(suffixes) for _ in range(self.POOL)]

    def subject(self, lang, site):
        return self.subjects[lang][int(self.rng.random() * self.POOL)].replace("{site}", site or "meu site")

    def summary(self, lang):
        return self.rng.choice(self.summaries[lang])

    def body(self, lang, site, staff=False):
        pool = self.staff[lang] if staff else self.customer[lang]
        return pool[int(self.rng.random() * self.POOL)].replace("{site}", site or "o site")

    def note(self):
        return self.rng.choice(NOTES)
